"""Answers read off documents' front matter: PA need per code, conditions, channels, clocks.

Each answer states the structured fact in one templated sentence and backs it with the
sentence of the governing document's body that says the same thing, quoted verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from caredesk.copilot.answers import SupportKind
from caredesk.copilot.corpus import Corpus, DocSentence
from caredesk.copilot.drafts import Claim
from caredesk.copilot.evidence import Quote
from caredesk.copilot.questions import Inquiry
from caredesk.copilot.text import fold, is_negative, overlap, term_set
from caredesk.domain.knowledge import (
    KbDocument,
    PaRequirement,
    PaStatus,
    SubmissionChannel,
    codes_in_text,
)
from caredesk.knowledge.service import KnowledgeBase

CHANNEL_NAMES = {
    SubmissionChannel.PORTAL: "the provider portal",
    SubmissionChannel.FAX: "fax",
    SubmissionChannel.PHONE: "phone",
    SubmissionChannel.X12_278: "an X12 278 request",
    SubmissionChannel.FHIR_PAS: "a Da Vinci PAS (FHIR) request",
}
_CHANNEL_WORDS = {
    SubmissionChannel.FAX: re.compile(r"\bfax"),
    SubmissionChannel.PHONE: re.compile(r"\bphone|\bcall\b|telephone"),
    SubmissionChannel.PORTAL: re.compile(r"\bportal"),
    SubmissionChannel.X12_278: re.compile(r"\bx12|\b278\b"),
    SubmissionChannel.FHIR_PAS: re.compile(r"\bfhir|da vinci|\bpas\b"),
}
# Confidence of each kind of structured answer: a listed code is as sure as the KB gets.
LISTED_CONFIDENCE = 0.92
CONDITION_MET_CONFIDENCE = 0.82
CONDITION_OPEN_CONFIDENCE = 0.62
CHANNEL_CONFIDENCE = 0.85


@dataclass(frozen=True)
class Verdict:
    """What the front matter says about one code: the status and, if known, yes or no."""

    requirement: PaRequirement
    doc: KbDocument
    needs_pa: bool | None  # None: a condition the question does not settle
    condition_fact: str = ""


def pa_verdicts(kb: KnowledgeBase, inquiry: Inquiry) -> list[Verdict] | None:
    """One verdict per code the question names; None when any code is not settled by a policy."""
    assert inquiry.payer is not None
    verdicts: list[Verdict] = []
    for code in inquiry.codes[:3]:
        requirement = kb.pa_requirement(inquiry.payer.id, code, inquiry.as_of, inquiry.plan)
        if requirement.status is PaStatus.UNKNOWN or requirement.doc_id is None:
            return None
        doc = _version(kb, requirement)
        if doc is None:
            return None
        verdicts.append(_verdict(requirement, doc, inquiry))
    return verdicts or None


def _version(kb: KnowledgeBase, requirement: PaRequirement) -> KbDocument | None:
    versions = kb.get_document(requirement.doc_id or "")
    return next((doc for doc in versions if doc.version == requirement.version), None)


def _verdict(requirement: PaRequirement, doc: KbDocument, inquiry: Inquiry) -> Verdict:
    if requirement.status is PaStatus.REQUIRED:
        return Verdict(requirement, doc, True)
    if requirement.status is PaStatus.NOT_REQUIRED:
        return Verdict(requirement, doc, False)
    needs, fact = settle_condition(requirement.rule, inquiry)
    return Verdict(requirement, doc, needs, fact)


def pa_claims(
    verdicts: list[Verdict], inquiry: Inquiry, corpus: Corpus
) -> tuple[list[Claim], float]:
    """The answer to "does X need PA": a yes/no lead per code, each backed by a quote."""
    claims: list[Claim] = []
    confidence = 1.0
    for verdict in verdicts:
        quote = governing_quote(verdict, corpus)
        if quote is None:
            return [], 0.0
        claims.append(Claim(_lead(verdict, inquiry), SupportKind.FRONT_MATTER, (quote,)))
        if verdict.condition_fact:
            claims.append(Claim(verdict.condition_fact, SupportKind.FRONT_MATTER, (quote,)))
        claims.append(Claim(quote.sentence.clean, SupportKind.QUOTE, (quote,)))
        confidence = min(confidence, _confidence(verdict))
    answers = {v.needs_pa for v in verdicts}
    if len(answers) > 1:
        confidence = min(confidence, CONDITION_OPEN_CONFIDENCE)
    return claims, confidence


def _confidence(verdict: Verdict) -> float:
    if verdict.requirement.status is not PaStatus.CONDITIONAL:
        return LISTED_CONFIDENCE
    return CONDITION_MET_CONFIDENCE if verdict.needs_pa is not None else CONDITION_OPEN_CONFIDENCE


def _lead(verdict: Verdict, inquiry: Inquiry) -> str:
    req = verdict.requirement
    payer = inquiry.payer.name if inquiry.payer else req.payer
    where = f"{verdict.doc.front_matter.title} (version {req.version})"
    on = f"for dates of service on {req.as_of.isoformat()}"
    if req.status is PaStatus.CONDITIONAL:
        opening = {True: "Yes", False: "No", None: "It depends"}[verdict.needs_pa]
        rule = req.rule.rstrip(".")
        return (
            f"{opening}: under {where}, whether {req.code} needs prior authorization with "
            f"{payer} {on} depends on a condition: {rule}."
        )
    if verdict.needs_pa:
        return f"Yes: {payer} requires prior authorization for {req.code} {on} under {where}."
    return f"No: {payer} does not require prior authorization for {req.code} {on} under {where}."


def governing_quote(verdict: Verdict, corpus: Corpus) -> Quote | None:
    """The body sentence to cite: it names the code, in a section whose title fits the verdict."""
    code = verdict.requirement.code
    candidates = [
        found for found in corpus.sentences_of(verdict.doc) if code in codes_in_text(found.text)
    ]
    if not candidates:
        return _lookup_quote(verdict, corpus)
    rule = term_set(verdict.requirement.rule)
    best = max(candidates, key=lambda found: _fit(found, verdict, rule))
    return Quote.of(best)


def _fit(found: DocSentence, verdict: Verdict, rule: set[str]) -> float:
    title = fold(found.section)
    score = 0.0
    if verdict.needs_pa is not None and is_negative(found.section) != verdict.needs_pa:
        score += 2.0  # a "do not require" section for a no, a "require" section for a yes
    if verdict.needs_pa is not None and is_negative(found.text) != verdict.needs_pa:
        score += 1.0
    if any(word in title for word in ("require", "authori", "visit", "condition")):
        score += 0.5
    return score + overlap(rule, term_set(found.text))


def _lookup_quote(verdict: Verdict, corpus: Corpus) -> Quote | None:
    """The quote the knowledge base's own lookup chose, when no sentence names the code."""
    req = verdict.requirement
    for found in corpus.sentences_of(verdict.doc):
        sentence = found.sentence
        if req.quote_start is not None and sentence.start <= req.quote_start < sentence.end:
            return Quote.of(found)
    return None


# --- conditions --------------------------------------------------------------------------------

_UNDER = re.compile(r"\bunder (\d+)\b")
_OVER = re.compile(r"\b(\d+) (?:and|or) older\b|\b(?:over|older than) (\d+)\b")
_AFTER_FIRST = re.compile(r"\bafter the first (\d+)\b")
_FROM_NTH = re.compile(r"\bfrom the (\d+)(?:st|nd|rd|th)\b")
_FIRST = re.compile(r"\bfirst (\d+)\b")
_RANGE = re.compile(r"\b(\d+)\s*-\s*(\d+)\b")


def settle_condition(rule: str, inquiry: Inquiry) -> tuple[bool | None, str]:
    """Yes/no for a conditional rule when the question gives the age or visit it turns on.

    Each clause of the rule ("members under 18 need no PA") states a polarity and a bound;
    the clause whose bound the question's value meets decides.
    """
    for clause in re.split(r";|\. ", rule):
        needs = not is_negative(clause)
        folded = fold(clause)
        if inquiry.age is not None and _age_matches(folded, inquiry.age):
            return needs, _fact(needs, f"a member aged {inquiry.age}")
        if inquiry.visit is not None and _visit_matches(folded, inquiry.visit):
            return needs, _fact(needs, f"visit number {inquiry.visit}")
    return None, ""


def _fact(needs: bool, who: str) -> str:
    outcome = "prior authorization is required" if needs else "no prior authorization is needed"
    return f"For {who}, as the question describes, the condition means {outcome}."


def _age_matches(clause: str, age: int) -> bool:
    if "visit" in clause:
        return False
    under, over = _UNDER.search(clause), _OVER.search(clause)
    if under:
        return age < int(under.group(1))
    if over:
        return age >= int(over.group(1) or over.group(2))
    return False


def _visit_matches(clause: str, visit: int) -> bool:
    if "visit" not in clause:
        return False
    if match := _AFTER_FIRST.search(clause):
        return visit > int(match.group(1))
    if match := _FROM_NTH.search(clause):
        return visit >= int(match.group(1))
    if match := _RANGE.search(clause):
        return int(match.group(1)) <= visit <= int(match.group(2))
    if match := _FIRST.search(clause):
        return visit <= int(match.group(1))
    return False


# --- submission channels -----------------------------------------------------------------------


def channels_asked(inquiry: Inquiry) -> list[SubmissionChannel]:
    folded = fold(inquiry.text)
    return [channel for channel, pattern in _CHANNEL_WORDS.items() if pattern.search(folded)]


def channel_claims(
    doc: KbDocument, asked: list[SubmissionChannel], inquiry: Inquiry, corpus: Corpus
) -> tuple[list[Claim], bool] | None:
    """Yes/no for "can I submit by X" from the document's `submission` list, with a quote."""
    offered = doc.front_matter.submission
    if not offered or not asked:
        return None
    quote = _section_quote(doc, corpus, ("submit", "channel"), asked)
    if quote is None:
        return None
    allowed = all(channel in offered for channel in asked)
    payer = inquiry.payer.name if inquiry.payer else "The payer"
    names = ", ".join(CHANNEL_NAMES[c] for c in offered)
    wanted = " or ".join(CHANNEL_NAMES[c] for c in asked)
    where = f"{doc.front_matter.title} (version {doc.version})"
    if allowed:
        lead = f"Yes: under {where}, {payer} accepts {wanted}; its channels are {names}."
    else:
        lead = f"No: under {where}, {payer} does not accept {wanted}; its channels are {names}."
    claims = [
        Claim(lead, SupportKind.FRONT_MATTER, (quote,)),
        Claim(quote.sentence.clean, SupportKind.QUOTE, (quote,)),
    ]
    return claims, allowed


def _section_quote(
    doc: KbDocument, corpus: Corpus, hints: tuple[str, ...], asked: list[SubmissionChannel]
) -> Quote | None:
    """The submission section's sentence about the channel asked for (else its first one)."""
    section = [f for f in corpus.sentences_of(doc) if any(h in fold(f.section) for h in hints)]
    for found in section:
        if any(_CHANNEL_WORDS[channel].search(fold(found.text)) for channel in asked):
            return Quote.of(found)
    return Quote.of(section[0]) if section else None
