"""The language-model path against a real chat-completions server on localhost (the fake):
verification, fallback to the offline engine, streaming, entailment checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from tests.support.fake_openai import FakeOpenAI, FakeReply, RecordedRequest

from caredesk.copilot import Copilot, CopilotEvent, Question, SupportKind
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.llm.breaker import CircuitBreaker
from caredesk.llm.openai_compat import OpenAICompatModel
from caredesk.llm.retry import RetryPolicy

pytestmark = pytest.mark.xdist_group("copilot")

QUESTION = Question(
    question="Does Tumbleweed require prior authorization for a brain MRI with contrast, 70553?",
    as_of=date(2026, 3, 1),
)
_SOURCE = re.compile(r'<source n="(\d+)" doc="([^"]+)" section="([^"]+)">')


def model_for(fake: FakeOpenAI, timeout_s: float = 2.0) -> OpenAICompatModel:
    return OpenAICompatModel(
        fake.model,
        base_url=fake.base_url,
        api_key="test-key",
        timeout_s=timeout_s,
        retry=RetryPolicy(max_retries=0),
        breaker=CircuitBreaker(failure_threshold=100),
    )


@pytest.fixture
def llm_copilot(
    shipped_kb: KnowledgeBase, sentence_model: MiniLmEmbedder, fake_openai: FakeOpenAI
) -> Iterator[Copilot]:
    chat = model_for(fake_openai)
    yield Copilot(shipped_kb, chat=chat, embedder=sentence_model)
    chat.close()


def source_number(request: RecordedRequest, doc: str, section: str) -> int:
    """The number the prompt gave a source, read back from what the model was sent."""
    for n, cited_doc, cited_section in _SOURCE.findall(request.prompt_text):
        if cited_doc == doc and cited_section == section:
            return int(n)
    raise AssertionError(f"{doc} § {section} was not among the sources sent")


def codes_section(request: RecordedRequest) -> int:
    return source_number(
        request, "tumbleweed-advanced-imaging@2025.1", "Codes that require prior authorization"
    )


def test_a_supported_sentence_stays_and_an_invented_one_is_dropped(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    def reply(request: RecordedRequest) -> str:
        n = codes_section(request)
        return (
            f"Yes, Tumbleweed requires prior authorization for brain MRI 70553 [{n}]. "
            f"Tumbleweed also pays $900 for every brain MRI within 2 days [{n}]."
        )

    fake_openai.respond_with(reply)
    answer = llm_copilot.ask(QUESTION)
    assert (answer.engine, answer.prompt, answer.model) == (
        "openai",
        "copilot.ask@1",
        "fake-gpt",
    )
    assert answer.answer.startswith("Yes, Tumbleweed requires prior authorization")
    assert "$900" not in answer.answer
    assert answer.dropped_sentences == 1
    assert answer.confidence <= 0.5  # half of what the model said did not hold
    assert [s.support for s in answer.sentences] == [SupportKind.LEXICAL]
    citation = answer.citations[0]
    assert (citation.doc_id, citation.section) == (
        "tumbleweed-advanced-imaging",
        "Codes that require prior authorization",
    )
    assert "70553" in citation.quote


def test_a_wrong_marker_is_recited_to_the_source_that_supports_it(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        "Yes, Tumbleweed requires prior authorization for 70553 [42]. "
        "Tumbleweed pays $900 for it [42]."
    )
    answer = llm_copilot.ask(QUESTION)
    assert answer.answer.startswith("Yes, Tumbleweed requires prior authorization for 70553.")
    assert answer.dropped_sentences == 1  # the invented one has no source at all
    cited = answer.citations[0]
    assert (cited.doc_id, cited.section) == (
        "tumbleweed-advanced-imaging",
        "Codes that require prior authorization",
    )
    assert answer.sentences[0].score < 0.8  # trusted less than a sentence cited right


def test_a_sentence_saying_the_opposite_of_its_source_is_dropped(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    question = Question(question="Does Tumbleweed need PA for 72148?", as_of=date(2026, 3, 1))

    def reply(request: RecordedRequest) -> str:
        n = source_number(
            request,
            "tumbleweed-advanced-imaging@2025.1",
            "Codes that do not require prior authorization",
        )
        return f"Yes, Tumbleweed requires prior authorization for 72148 [{n}]."

    fake_openai.respond_with(reply)
    answer = llm_copilot.ask(question)
    # Nothing the model said held up: the offline engine answers, and says so.
    assert answer.engine == "offline-fallback" and answer.dropped_sentences == 1
    assert answer.answer.startswith("No")
    assert "supported" in answer.fallback_reason


def test_the_model_abstaining_is_an_abstention(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script("The knowledge base does not answer this.")
    answer = llm_copilot.ask(QUESTION)
    assert answer.abstained and answer.dropped_sentences == 0
    assert answer.citations  # the closest sources


def test_server_errors_fall_back_to_the_offline_engine(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(lambda _request: FakeReply.error(500))
    answer = llm_copilot.ask(QUESTION)
    assert answer.engine == "offline-fallback"
    assert answer.prompt == "copilot.offline@1"
    assert answer.answer.startswith("Yes")
    assert answer.fallback_reason
    assert len(fake_openai.requests) == 1


def test_a_timeout_falls_back_to_the_offline_engine(
    shipped_kb: KnowledgeBase, sentence_model: MiniLmEmbedder, fake_openai: FakeOpenAI
) -> None:
    chat = model_for(fake_openai, timeout_s=0.5)
    try:
        copilot = Copilot(shipped_kb, chat=chat, embedder=sentence_model)
        fake_openai.script(FakeReply.slow(2.0, "Yes [1]."))
        answer = copilot.ask(QUESTION)
    finally:
        chat.close()
    assert answer.engine == "offline-fallback" and answer.answer.startswith("Yes")


def test_the_prompt_carries_numbered_fenced_sources_and_no_tools(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script("The knowledge base does not answer this.")
    llm_copilot.ask(QUESTION)
    request = fake_openai.requests[0]
    assert "tools" not in request.body and "functions" not in request.body
    assert codes_section(request) >= 1
    assert "Question: " + QUESTION.question in request.prompt_text


def events_of(copilot: Copilot, question: Question) -> list[CopilotEvent]:
    return list(copilot.stream(copilot.prepare(question)))


def test_streaming_sends_verified_sentences_then_the_answer(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    def reply(request: RecordedRequest) -> str:
        n = codes_section(request)
        return f"Yes, Tumbleweed requires prior authorization for 70553 [{n}]. It is free [{n}]."

    fake_openai.respond_with(reply)
    events = events_of(llm_copilot, QUESTION)
    kinds = [event.kind for event in events]
    assert kinds == ["token", "answer"]
    assert events[0].text.strip() == "Yes, Tumbleweed requires prior authorization for 70553. [1]"
    final = events[-1].answer
    assert final is not None and final.dropped_sentences == 1 and final.engine == "openai"
    assert fake_openai.requests[0].stream


def test_a_stream_cut_short_resets_and_the_offline_engine_answers(
    llm_copilot: Copilot, fake_openai: FakeOpenAI
) -> None:
    def reply(request: RecordedRequest) -> FakeReply:
        n = codes_section(request)
        text = f"Yes, Tumbleweed requires prior authorization for 70553 [{n}]. " + "More " * 20
        return FakeReply(text=text, drop_after_chunks=14)

    fake_openai.respond_with(reply)
    events = events_of(llm_copilot, QUESTION)
    kinds = [event.kind for event in events]
    assert "reset" in kinds and kinds[-1] == "answer"
    assert kinds.index("reset") > kinds.index("token")
    final = events[-1].answer
    assert final is not None and final.engine == "offline-fallback"


def test_an_entailment_no_from_the_model_drops_the_sentence(
    shipped_kb: KnowledgeBase, sentence_model: MiniLmEmbedder, fake_openai: FakeOpenAI
) -> None:
    chat = model_for(fake_openai)
    copilot = Copilot(shipped_kb, chat=chat, embedder=sentence_model, verify_with_llm=True)

    def reply(request: RecordedRequest) -> FakeReply | str:
        if request.json_schema is not None:  # the copilot.verify call
            return FakeReply(json={"verdict": "no"})
        n = codes_section(request)
        return f"Yes, Tumbleweed requires prior authorization for 70553 [{n}]."

    fake_openai.respond_with(reply)
    try:
        answer = copilot.ask(QUESTION)
    finally:
        chat.close()
    assert answer.engine == "offline-fallback" and answer.dropped_sentences == 1
    assert any(r.json_schema is not None for r in fake_openai.requests)
