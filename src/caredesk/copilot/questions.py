"""Read a question: which payer, plan, codes, date and kind of fact it asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from caredesk.copilot.text import fold, words
from caredesk.domain.knowledge import Payer, codes_in_text

_YES_NO = re.compile(
    r"^(?:and |so |then |but )?(?:do|does|did|is|are|was|were|can|could|may|must|should|will|"
    r"would|has|have)\b",
    re.IGNORECASE,
)
_PA_WORDS = re.compile(r"\b(?:prior auth\w*|pre-?auth\w*|pa|authori[sz]ation|authori[sz]ed)\b")
_NEED_WORDS = re.compile(r"\b(?:need\w*|requir\w*|subject to|necessary|mandatory)\b")
_PAYERISH = re.compile(
    r"\b((?:[A-Z][a-zA-Z]+ ){0,3}[A-Z][a-zA-Z]+) "
    r"(?:Health(?:care)?|Insurance|Mutual|Care|Alliance|Assurance|Benefits|Medical)\b"
)
_AGE = re.compile(r"\b(\d{1,3})[- ](?:year|yr)s?[- ]old\b|\baged? (\d{1,3})\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_VISIT = re.compile(
    r"\b(first|second|third|fourth|fifth|\d{1,3}(?:st|nd|rd|th))\b(?: [a-z-]+){0,3} visit"
)


class Intent(StrEnum):
    """The kind of fact a question asks for; a question may ask for several."""

    PA_NEED = "pa_need"
    TURNAROUND = "turnaround"
    APPEAL = "appeal"
    SUBMISSION = "submission"
    CHECKLIST = "checklist"
    APPROVAL_LENGTH = "approval_length"


_INTENT_PATTERNS: dict[Intent, re.Pattern[str]] = {
    Intent.TURNAROUND: re.compile(
        r"turnaround|decision time|\bdecide|how (?:long|fast|quickly|soon)\b.*"
        r"(?:decid|decision|respond|answer)|respond to"
    ),
    Intent.APPEAL: re.compile(
        r"appeal|external review|fair hearing|peer-to-peer|reconsideration|denial|denied"
    ),
    Intent.SUBMISSION: re.compile(
        r"\bfax|submit|portal|payer id|\bphone|\bcall\b|x12|fhir|da vinci|channel"
    ),
    Intent.CHECKLIST: re.compile(
        r"checklist|documentation|document|include|attach|form\b|sign\b|evaluation|send with"
    ),
}
_APPROVAL_LENGTH = re.compile(
    r"\bhow (?:long|many \w+(?: \w+)?) (?:is|are|does|do)\b.*\b(?:approval|authori[sz]ation)s?\b"
    r"|\b(?:approval|authori[sz]ation)s? (?:last|length|cover)"
)
# Section titles each intent's facts live under in the knowledge base.
INTENT_SECTIONS: dict[Intent, tuple[str, ...]] = {
    Intent.PA_NEED: ("require", "authorization", "visits"),
    Intent.TURNAROUND: ("turnaround", "timeframe"),
    Intent.APPEAL: ("appeal", "peer-to-peer", "external review"),
    Intent.SUBMISSION: ("submit", "channel"),
    Intent.CHECKLIST: ("checklist", "documentation"),
    Intent.APPROVAL_LENGTH: ("length",),
}


@dataclass(frozen=True)
class Inquiry:
    """What one question is about, read from its words (and its case, when one is given)."""

    text: str
    as_of: date
    payer: Payer | None = None
    unknown_payer: str | None = None
    plan: str | None = None
    codes: tuple[str, ...] = ()  # named in the question, then the case's
    asked_codes: tuple[str, ...] = ()  # named in the question itself
    intents: frozenset[Intent] = frozenset()
    yes_no: bool = False
    age: int | None = None
    visit: int | None = None
    payer_terms: frozenset[str] = field(default_factory=frozenset)

    @property
    def asks_pa_need(self) -> bool:
        return Intent.PA_NEED in self.intents


def read_question(
    text: str,
    payers: list[Payer],
    *,
    as_of: date,
    payer: Payer | None = None,
    codes: tuple[str, ...] = (),
    plan: str | None = None,
    age: int | None = None,
) -> Inquiry:
    """The inquiry in `text`; values given (from the request or a case) win over the words."""
    folded = fold(text)
    named = payer or payer_named_in(text, payers)
    plan = plan or plan_named_in(folded, named)
    asked = tuple(codes_in_text(text.upper()))
    found_codes = tuple(dict.fromkeys([*asked, *codes]))
    return Inquiry(
        text=text,
        as_of=as_of,
        payer=named,
        unknown_payer=None if named else unknown_payer_in(text, payers),
        plan=plan,
        codes=found_codes,
        asked_codes=asked,
        intents=intents_of(folded, bool(found_codes)),
        yes_no=_YES_NO.match(text.strip()) is not None,
        age=age if age is not None else _age(folded),
        visit=_visit(folded),
        payer_terms=frozenset(_payer_words(named) | set(words(plan or ""))),
    )


def payer_named_in(text: str, payers: list[Payer]) -> Payer | None:
    """The payer whose id, name or alias the text uses (the longest name wins)."""
    folded = fold(text)
    best: tuple[int, Payer] | None = None
    for payer in payers:
        for name in (payer.id, payer.name, *payer.aliases):
            wanted = re.escape(fold(name))
            if re.search(rf"(?<![\w-]){wanted}(?![\w-])", folded) and (
                best is None or len(name) > best[0]
            ):
                best = (len(name), payer)
    return best[1] if best else None


def unknown_payer_in(text: str, payers: list[Payer]) -> str | None:
    """A payer-like name ("Marigold Health") the knowledge base does not know, if any."""
    for match in _PAYERISH.finditer(text):
        name = match.group(0)
        if not any(p.answers_to(name) or p.answers_to(match.group(1)) for p in payers):
            return name
    return None


def plan_named_in(folded: str, payer: Payer | None) -> str | None:
    if payer is None:
        return None
    named = [plan for plan in payer.plans if fold(plan) in folded]
    return max(named, key=len) if named else None


def intents_of(folded: str, has_codes: bool) -> frozenset[Intent]:
    found = {intent for intent, pattern in _INTENT_PATTERNS.items() if pattern.search(folded)}
    if Intent.TURNAROUND not in found and _APPROVAL_LENGTH.search(folded):
        found.add(Intent.APPROVAL_LENGTH)
    if _PA_WORDS.search(folded) and _NEED_WORDS.search(folded) and has_codes:
        found.add(Intent.PA_NEED)
    return frozenset(found)


def _age(folded: str) -> int | None:
    match = _AGE.search(folded)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def _visit(folded: str) -> int | None:
    match = _VISIT.search(folded)
    if match is None:
        return None
    word = match.group(1)
    return _ORDINALS.get(word) or int(re.sub(r"\D", "", word))


def _payer_words(payer: Payer | None) -> set[str]:
    if payer is None:
        return set()
    names = (payer.id, payer.name, *payer.aliases)
    return {word for name in names for word in re.findall(r"[a-z0-9]+", fold(name))}
