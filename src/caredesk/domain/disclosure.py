"""Minimum necessary: which case fields each audience may see, and the check that enforces it.

| field                    | payer | ordering provider | patient | internal |
|--------------------------|:-----:|:-----------------:|:-------:|:--------:|
| patient_name             |   x   |         x         |    x    |    x     |
| date_of_birth            |   x   |         x         |         |    x     |
| member_id                |   x   |         x         |         |    x     |
| payer, plan              |   x   |         x         |    x    |    x     |
| procedure_codes          |   x   |         x         |    x    |    x     |
| diagnosis_codes          |   x   |                   |         |    x     |
| ordering_provider_name   |   x   |         x         |    x    |    x     |
| ordering_provider_npi    |   x   |         x         |         |    x     |
| rendering_provider_*     |   x   |                   |         |    x     |
| urgency, date_of_service |   x   |         x         |    x    |    x     |

The payer gets what a PA request needs. The ordering provider gets what identifies the patient
and the service and what is missing — no other provider's details, no diagnosis codes (they
wrote them; the request is about documents). The patient gets their own name, the service, who
ordered it and what happens next — no diagnosis codes, member id, date of birth or NPIs, which
a mailed notice must not expose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict

from caredesk.domain.cases import CASE_FIELDS, Case, ServiceLine
from caredesk.domain.drafts import Audience

_COMMON = frozenset({"patient_name", "payer", "plan", "procedure_codes", "urgency"})
ALLOWED_FIELDS: dict[Audience, frozenset[str]] = {
    Audience.PAYER: frozenset(CASE_FIELDS),
    Audience.ORDERING_PROVIDER: _COMMON
    | {
        "date_of_birth",
        "member_id",
        "ordering_provider_name",
        "ordering_provider_npi",
        "date_of_service",
    },
    Audience.PATIENT: _COMMON | {"ordering_provider_name", "date_of_service"},
    Audience.INTERNAL: frozenset(CASE_FIELDS),
}
# Shorter strings match too much ordinary text to mean anything.
_MIN_MATCH = 4
# Identifiers people split with spaces or dashes when they write them out.
_IDENTIFIERS = frozenset({"member_id", "ordering_provider_npi", "rendering_provider_npi"})
# An ICD-10-CM code written with its dot, e.g. "M54.16": unmistakable in prose.
_ICD_IN_TEXT = re.compile(r"\b[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}\b")


class Violation(BaseModel):
    """One field a draft may not carry for its audience, and how it was found."""

    model_config = ConfigDict(frozen=True)

    field: str
    audience: Audience
    found_in: str  # "fields_used" (the draft declares it) or "text" (its value appears)

    @property
    def message(self) -> str:
        declared = self.found_in == "fields_used"
        where = "the draft uses it" if declared else "its value is in the text"
        reader = self.audience.value.replace("_", " ")
        return f"{self.field} may not be disclosed to the {reader} ({where})"


def allowed_fields(audience: Audience) -> frozenset[str]:
    return ALLOWED_FIELDS[audience]


def check_disclosure(
    audience: Audience, draft_fields_used: Iterable[str], text: str, case: Case
) -> list[Violation]:
    """Every field the draft carries beyond what `audience` may see, by declaration or by value.

    The declaration alone is not trusted: the text is searched for the values of every field
    the audience may not see (member id, date of birth, codes, NPIs, other providers' names).
    """
    allowed = ALLOWED_FIELDS[audience]
    found: dict[str, str] = {}
    for field in draft_fields_used:
        if field not in allowed:
            found.setdefault(field, "fields_used")
    haystack = _normalise(text)
    compact = _compact(haystack)
    # A value the audience may see under another field (the same NPI ordering and rendering)
    # is no disclosure.
    shown = {needle for field in allowed for needle in _needles(field, case.raw(field))}
    for field in CASE_FIELDS:
        if field in allowed or field in found:
            continue
        needles = [n for n in _needles(field, case.raw(field)) if n not in shown]
        if any(_appears(needle, haystack) for needle in needles) or (
            field in _IDENTIFIERS and any(_compact(n) in compact for n in needles if len(n) >= 6)
        ):
            found[field] = "text"
    if "diagnosis_codes" not in allowed | found.keys() and _ICD_IN_TEXT.search(text):
        found["diagnosis_codes"] = "text"
    return [Violation(field=f, audience=audience, found_in=how) for f, how in sorted(found.items())]


def _compact(text: str) -> str:
    """Identifiers written with spaces, dashes or dots ("QFH-900 123") still match."""
    return re.sub(r"[\s.\-/]", "", text)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _appears(needle: str, haystack: str) -> bool:
    if len(needle) < _MIN_MATCH:
        return False
    return re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", haystack) is not None


def _needles(field: str, value: object) -> list[str]:
    """The ways a value is written in a letter: dates in several formats, codes with and
    without their dot, each list entry on its own."""
    if value is None:
        return []
    if isinstance(value, date):
        return _date_forms(value)
    if isinstance(value, list):
        return [needle for entry in value for needle in _needles(field, entry)]
    if isinstance(value, ServiceLine):
        return [value.code.lower()]
    text = _normalise(str(value))
    forms = [text]
    if field == "diagnosis_codes":
        forms.append(text.replace(".", ""))
    return forms


def _date_forms(day: date) -> list[str]:
    return [
        day.isoformat(),
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month:02d}-{day.day:02d}-{day.year}",
        day.strftime("%B %-d, %Y").lower(),
        day.strftime("%b %-d, %Y").lower(),
        day.strftime("%-d %B %Y").lower(),
    ]


__all__ = ["ALLOWED_FIELDS", "Violation", "allowed_fields", "check_disclosure"]
