"""Case grounding: the one case a question is about, reduced to what the question needs.

The copilot reads cases through `CaseRecords`, an interface the composition root fills in
(with the worklist's case store and the documents' text), so this package depends on no other
service. Only the case asked about is ever loaded; only the fields a question needs reach a
prompt (HIPAA minimum necessary): a PA question gets payer, plan, codes and dates, never the
patient's name, and an age question gets the age, never the date of birth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from caredesk.copilot.answers import Source, SourceKind
from caredesk.copilot.text import fold, overlap, term_set
from caredesk.domain.cases import Case

SNIPPET_CHARS = 600
MAX_SNIPPETS = 3

# Question words that make a field necessary; payer, plan, codes and date of service always are.
_NEEDS: dict[str, re.Pattern[str]] = {
    "diagnosis_codes": re.compile(
        r"diagnos|icd|criteria|necessity|medically|clinical|approv|checklist|document|send"
    ),
    "urgency": re.compile(r"urgen|expedit|turnaround|due|how long|decide|decision|clock|fast"),
    "age": re.compile(r"\bage\b|\bold\b|child|adult|pediatric|minor|\bunder \d+|years?"),
    "ordering_provider": re.compile(r"provider|npi|ordering|physician|doctor|prescriber"),
    "member_id": re.compile(r"member id|member number|subscriber"),
    "patient_name": re.compile(r"patient'?s name|name of the patient|who is the patient"),
}
ALWAYS = ("payer", "plan", "procedure_codes", "date_of_service")


@dataclass(frozen=True)
class CaseDocumentText:
    """The text read from one page of one document attached to a case."""

    document_id: str
    page: int
    text: str
    title: str = ""


class CaseRecords(Protocol):
    """Read access to cases for the copilot (implemented where storage and services meet)."""

    def case(self, case_id: str) -> Case:
        """The case; raises NotFound when there is none."""
        ...

    def document_text(self, case: Case) -> list[CaseDocumentText]:
        """Text of the case's documents, page by page (pages not yet read are left out)."""
        ...


def needed_facts(case: Case, question: str, as_of: date | None = None) -> dict[str, str]:
    """The case's values this question needs, as text, and nothing else."""
    folded = fold(question)
    facts: dict[str, str] = {}
    for name in ALWAYS:
        _put(facts, name, case.raw(name))
    for name, pattern in _NEEDS.items():
        if pattern.search(folded):
            _add_needed(facts, case, name, as_of)
    return facts


def _add_needed(facts: dict[str, str], case: Case, name: str, as_of: date | None) -> None:
    if name == "age":
        age = age_on(case, as_of)
        if age is not None:
            facts["age"] = str(age)
    elif name == "ordering_provider":
        _put(facts, "ordering_provider_name", case.raw("ordering_provider_name"))
        _put(facts, "ordering_provider_npi", case.raw("ordering_provider_npi"))
    else:
        _put(facts, name, case.raw(name))


def _put(facts: dict[str, str], name: str, value: object) -> None:
    if value in (None, "", []):
        return
    if isinstance(value, list):
        facts[name] = ", ".join(getattr(item, "code", str(item)) for item in value)
    elif isinstance(value, date):
        facts[name] = value.isoformat()
    else:
        facts[name] = str(getattr(value, "value", value))


def age_on(case: Case, day: date | None) -> int | None:
    """Age in whole years on `day` (the date of service, else today); None without a birth date."""
    born = case.raw("date_of_birth")
    if not isinstance(born, date):
        return None
    day = day or case.raw("date_of_service") or date.today()
    assert isinstance(day, date)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def case_codes(case: Case) -> tuple[str, ...]:
    return tuple(line.code for line in case.service_lines)


def snippets(
    pages: list[CaseDocumentText], question: str, limit: int = MAX_SNIPPETS
) -> list[Source]:
    """The passages of the case's documents most about the question, as numbered sources.

    Pages are cut into paragraph-sized windows; a window is ranked by the question words it
    shares. Numbers are set when the sources are assembled.
    """
    wanted = term_set(question)
    windows: list[tuple[float, Source]] = []
    for page in pages:
        for start in range(0, max(1, len(page.text)), SNIPPET_CHARS):
            text = page.text[start : start + SNIPPET_CHARS]
            if not text.strip():
                continue
            score = overlap(wanted, term_set(text)) if wanted else 0.0
            windows.append((score, _source(page, text, start)))
    windows.sort(key=lambda pair: -pair[0])
    return [source for score, source in windows[:limit] if score > 0]


def _source(page: CaseDocumentText, text: str, start: int) -> Source:
    return Source(
        n=1,
        kind=SourceKind.CASE_DOCUMENT,
        doc_id=page.document_id,
        version="1",
        section=f"page {page.page}",
        title=page.title or f"Case document {page.document_id}",
        text=text,
        start=start,
        end=start + len(text),
    )
