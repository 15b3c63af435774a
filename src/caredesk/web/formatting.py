"""How values read on pages: field labels, countdowns, percentages, case values, diff lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from pydantic import BaseModel

# Words that are acronyms or read better spelled out in a label.
_LABEL_WORDS = {
    "npi": "NPI",
    "icd": "ICD",
    "cpt": "CPT",
    "hcpcs": "HCPCS",
    "id": "ID",
    "dob": "date of birth",
    "pa": "PA",
}


def field_label(name: str) -> str:
    """`ordering_provider_npi` → `Ordering provider NPI`."""
    words = [_LABEL_WORDS.get(word, word) for word in name.split("_") if word]
    if not words:
        return name
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


def percent(value: float | None) -> str:
    """A 0–1 share as a whole percentage (`0.934` → `93%`); `—` when unknown."""
    return "—" if value is None else f"{round(value * 100):.0f}%"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"


def countdown(remaining_s: float) -> str:
    """Time left on a decision clock as people say it: `2 d 4 h left`, `overdue by 3 h 5 min`.

    static/js/countdown.js words it the same way when it refreshes the text in the browser.
    """
    if remaining_s <= 0:
        return f"overdue by {_span(-remaining_s)}"
    return f"{_span(remaining_s)} left"


def case_value(value: object) -> str:
    """A case value as one line of text: codes with units, lists joined, dates in ISO."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(case_value(item) for item in value) or "—"
    if isinstance(value, BaseModel) and hasattr(value, "code") and hasattr(value, "units"):
        return f"{value.code} × {value.units}"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff and what it is: added, removed, a hunk header, or context."""

    kind: str
    text: str


def diff_lines(diff: str) -> list[DiffLine]:
    """A unified diff split into lines classified for display (the file headers dropped)."""
    lines: list[DiffLine] = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append(DiffLine(kind, line))
    return lines


def humanize(value: str) -> str:
    """`pending_review` → `Pending review`."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def joined(values: Iterable[object], empty: str = "—") -> str:
    text = ", ".join(str(value) for value in values if value not in (None, ""))
    return text or empty
