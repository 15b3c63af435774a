"""The offline engine on the shipped knowledge base: answers, dates, citations, abstention."""

from __future__ import annotations

from datetime import date

import pytest

from caredesk.copilot import ABSTAIN_TEXT, OFFLINE_PROMPT, Answer, Copilot, Question, SupportKind
from caredesk.domain.errors import InputRejected
from caredesk.knowledge.service import KnowledgeBase

pytestmark = pytest.mark.xdist_group("copilot")  # one worker loads the knowledge base once


def ask(copilot: Copilot, text: str, **context: object) -> Answer:
    return copilot.ask(Question(question=text, **context))  # type: ignore[arg-type]


def body_at(kb: KnowledgeBase, doc_id: str, version: str) -> str:
    return next(d.body for d in kb.get_document(doc_id) if d.version == version)


@pytest.mark.parametrize(
    ("as_of", "verdict", "version", "section"),
    [
        (date(2025, 6, 1), "Yes", "2025.1", "Codes that require prior authorization"),
        (date(2026, 2, 1), "No", "2026.1", "Codes that do not require prior authorization"),
    ],
)
def test_quillfeather_72148_answer_follows_the_date_of_service(
    offline_copilot: Copilot, as_of: date, verdict: str, version: str, section: str
) -> None:
    answer = ask(
        offline_copilot, "Does Quillfeather require prior authorization for CPT 72148?", as_of=as_of
    )
    assert answer.answer.startswith(verdict)
    assert (answer.engine, answer.prompt, answer.abstained) == ("offline", OFFLINE_PROMPT, False)
    assert answer.confidence >= 0.9
    assert [(c.doc_id, c.version, c.section) for c in answer.citations] == [
        ("quillfeather-advanced-imaging", version, section)
    ]
    assert "72148" in answer.citations[0].quote


def test_the_same_code_differs_by_payer(offline_copilot: Copilot) -> None:
    day = date(2026, 3, 1)
    tumbleweed = ask(offline_copilot, "Does 72148 need PA?", payer="Tumbleweed Mutual", as_of=day)
    lanternfish = ask(offline_copilot, "Does 72148 need PA?", payer="LCC", as_of=day)
    assert tumbleweed.answer.startswith("No") and lanternfish.answer.startswith("Yes")
    assert tumbleweed.citations[0].doc_id == "tumbleweed-advanced-imaging"
    assert lanternfish.citations[0].doc_id == "lanternfish-advanced-imaging"


@pytest.mark.parametrize(("age", "verdict"), [(10, "No"), (52, "Yes")])
def test_a_conditional_rule_is_settled_by_the_age_the_question_gives(
    offline_copilot: Copilot, age: int, verdict: str
) -> None:
    answer = ask(
        offline_copilot,
        f"A {age}-year-old Lanternfish member needs an in-lab sleep study (95810). Is PA needed?",
    )
    assert answer.answer.startswith(verdict)
    assert "under 18" in answer.answer
    assert answer.sentences[0].support is SupportKind.FRONT_MATTER


def test_an_unsettled_condition_says_it_depends_and_quotes_the_rule(
    offline_copilot: Copilot,
) -> None:
    answer = ask(offline_copilot, "Does therapeutic exercise 97110 need PA at Quillfeather?")
    assert answer.answer.startswith("It depends")
    assert "first 12 visits" in answer.answer
    assert answer.confidence < 0.7  # the question does not say which visit


def test_every_citation_is_the_exact_text_at_its_offsets(
    offline_copilot: Copilot, shipped_kb: KnowledgeBase
) -> None:
    questions = [
        ("How long do we have to appeal a Tumbleweed denial of a CPAP?", {}),
        ("What does the patient need to sign for a Lanternfish genetic testing request?", {}),
        ("Can I fax a Quillfeather MRI prior authorization request?", {"as_of": date(2026, 2, 2)}),
        ("Does 29881 need prior authorization at Quillfeather?", {}),
    ]
    for text, context in questions:
        answer = ask(offline_copilot, text, **context)
        assert not answer.abstained and answer.citations, text
        for citation in answer.citations:
            body = body_at(shipped_kb, citation.doc_id, citation.version)
            assert body[citation.start : citation.end] == citation.quote
        markers = {n for s in answer.sentences for n in s.citations}
        assert markers == {c.n for c in answer.citations}


def test_quoted_sentences_are_verbatim(offline_copilot: Copilot) -> None:
    answer = ask(offline_copilot, "How long do we have to appeal a Tumbleweed denial of a CPAP?")
    assert "180 calendar days" in answer.answer
    quotes = {" ".join(c.quote.split()) for c in answer.citations}
    for sentence in answer.sentences:
        if sentence.support is SupportKind.QUOTE:
            assert sentence.text in quotes


def test_submission_channels_come_from_the_version_in_force(offline_copilot: Copilot) -> None:
    question = "Can I fax a Quillfeather MRI prior authorization request?"
    before = ask(offline_copilot, question, as_of=date(2025, 10, 2))
    after = ask(offline_copilot, question, as_of=date(2026, 2, 2))
    assert before.answer.startswith("Yes") and "555-0142" in before.answer
    assert after.answer.startswith("No") and "no longer accepted" in after.answer


@pytest.mark.parametrize(
    "text",
    [
        "Does Marigold Health Alliance require prior authorization for a lumbar MRI (72148)?",
        "Does Quillfeather require PA for a transthoracic echocardiogram, CPT 93306?",
        "Does Tumbleweed require PA for dupilumab injections for eczema?",
        "How much does Quillfeather pay per 20 mg of adalimumab under J0135?",
        "Will CMS shorten the standard prior authorization timeframe again in 2028?",
    ],
)
def test_it_abstains_when_the_knowledge_base_does_not_answer(
    offline_copilot: Copilot, text: str
) -> None:
    answer = ask(offline_copilot, text)
    assert answer.abstained and answer.answer == ABSTAIN_TEXT
    assert answer.confidence == 0.0 and answer.sentences == []


def test_an_abstention_lists_the_closest_sources(offline_copilot: Copilot) -> None:
    answer = ask(offline_copilot, "What is the prior authorization fax number for Bramblecrest?")
    assert answer.abstained
    assert 1 <= len(answer.citations) <= 3


def test_a_date_before_any_policy_abstains(offline_copilot: Copilot) -> None:
    answer = ask(
        offline_copilot, "What was Quillfeather's imaging PA list?", as_of=date(2024, 6, 1)
    )
    assert answer.abstained


def test_an_unknown_payer_parameter_is_refused(offline_copilot: Copilot) -> None:
    with pytest.raises(InputRejected, match="Unknown payer"):
        ask(offline_copilot, "Does 72148 need PA?", payer="Bramblecrest")


def test_a_case_question_without_case_records_is_refused(offline_copilot: Copilot) -> None:
    with pytest.raises(InputRejected, match="Case grounding"):
        ask(offline_copilot, "Does this case need PA?", case_id="case_x")
