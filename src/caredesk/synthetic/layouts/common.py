"""Label wording and print choices every layout draws from, and blocks shared by layouts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Protocol

from caredesk.synthetic import forms, world
from caredesk.synthetic.facts import Episode
from caredesk.synthetic.printing import (
    NAME_STYLES,
    US_BIRTH_DATE_STYLES,
    US_DATE_STYLES,
    format_date,
)
from caredesk.synthetic.sheet import Sheet

# Every way a label is worded somewhere in the corpus; layouts draw from these.
LABELS: dict[str, tuple[str, ...]] = {
    "patient_name": ("Patient Name", "Patient", "Member Name", "Name"),
    "date_of_birth": ("DOB", "Date of Birth", "Birth Date", "D.O.B."),
    "member_id": ("Member ID", "Subscriber #", "Insurance ID", "Member No.", "ID #"),
    "payer": ("Insurance", "Health Plan", "Payer", "Insurance Carrier"),
    "plan": ("Plan", "Plan Name", "Product"),
    "ordering_provider_name": (
        "Ordering Physician",
        "Referring Provider",
        "Ordering Provider",
        "Requesting Provider",
    ),
    "ordering_provider_npi": ("NPI", "NPI #", "NPI No."),
    "rendering_provider_name": (
        "Rendering Provider",
        "Servicing Provider",
        "Servicing Facility",
        "Perform At",
        "Facility",
    ),
    "rendering_provider_npi": ("NPI", "Facility NPI", "NPI #"),
    "diagnosis_codes": ("Diagnosis", "ICD-10", "Diagnosis Code(s)", "Dx", "ICD-10-CM"),
    "procedure_codes": ("CPT/HCPCS", "Procedure Code", "Service Code", "Code", "CPT"),
    "urgency": ("Priority", "Urgency", "Request Type", "Review Type"),
    "date_of_service": (
        "Date of Service",
        "Scheduled Date",
        "Requested Start Date",
        "DOS",
        "Service Date",
    ),
    "clinical_reason": (
        "Clinical Reason",
        "Reason for Referral",
        "Clinical Indication",
        "Medical Necessity",
        "Clinical Information",
    ),
}
# What a ticked urgency box says, per wording pair.
URGENCY_WORDS: tuple[tuple[str, str], ...] = (
    ("Expedited", "Standard"),
    ("Urgent", "Routine"),
    ("Expedited (72 hours)", "Standard (7 days)"),
)


class SheetFactory(Protocol):
    def __call__(self, *, total_pages: int = 1, page: str = "letter") -> Sheet: ...


@dataclass(frozen=True)
class PrintChoices:
    """How one document prints an episode: date styles, name order, boxes, code style."""

    birth_style: str
    date_style: str
    name_style: Callable[[str, str], str]
    check_style: str
    dotted_dx: bool
    urgency_words: tuple[str, str]

    def day(self, value: date) -> str:
        return format_date(value, self.date_style)

    def dob(self, value: date) -> str:
        return format_date(value, self.birth_style)

    def patient(self, episode: Episode) -> str:
        return self.name_style(episode.patient.first, episode.patient.last)

    def dx(self, code: str) -> str:
        return code if self.dotted_dx else code.replace(".", "")

    def urgency(self, urgency: str) -> list[tuple[str, bool]]:
        expedited, standard = self.urgency_words
        return [(expedited, urgency == "expedited"), (standard, urgency == "standard")]


def choose_print(
    rng: Random, *, check_styles: tuple[str, ...] = ("ascii", "glyph")
) -> PrintChoices:
    return PrintChoices(
        birth_style=rng.choice(US_BIRTH_DATE_STYLES),
        date_style=rng.choice(US_DATE_STYLES),
        name_style=rng.choice(NAME_STYLES),
        check_style=rng.choice(check_styles),
        dotted_dx=rng.random() < 0.75,
        urgency_words=rng.choice(URGENCY_WORDS),
    )


def label(rng: Random, field: str, options: tuple[int, ...] = ()) -> str:
    """One wording of `field`'s label; `options` narrows the choice to some indexes."""
    wordings = LABELS[field]
    return wordings[rng.choice(options)] if options else rng.choice(wordings)


def record_codes(sheet: Sheet, episode: Episode, choices: PrintChoices) -> None:
    sheet.record("diagnosis_codes", [choices.dx(code) for code in episode.diagnoses])
    sheet.record("procedure_codes", [code for code, _ in episode.procedures])


def diagnosis_rows(episode: Episode, choices: PrintChoices) -> list[list[str]]:
    return [[choices.dx(code), world.DIAGNOSES[code][:70]] for code in episode.diagnoses]


def procedure_rows(episode: Episode) -> list[list[str]]:
    return [[code, world.PROCEDURES[code], str(units)] for code, units in episode.procedures]


def urgency_boxes(
    sheet: Sheet, x: float, y: float, episode: Episode, choices: PrintChoices, caption: str
) -> None:
    sheet.text(x, y, f"{caption}:", font="Helvetica-Bold", size=10)
    start = x + sheet.width_of(f"{caption}:", "Helvetica-Bold", 10) + 8
    printed = forms.checkbox_row(
        sheet, start, y, choices.urgency(episode.urgency), style=choices.check_style
    )
    sheet.record("urgency", printed)


def clinical_block(
    sheet: Sheet, x: float, y: float, w: float, caption: str, episode: Episode, *, lines: int = 3
) -> float:
    """A ruled box holding the clinical reason (at least `lines` tall); returns the y below it."""
    needed = len(sheet.lines_of(episode.clinical_reason, w - 12, size=9.5))
    height = 18 + max(lines, needed) * 12.5
    sheet.rect(x, y - height, w, height)
    sheet.text(x + 4, y - 10, caption, font="Helvetica-Bold", size=8.5)
    sheet.wrap(x + 6, y - 24, episode.clinical_reason, w - 12, size=9.5, leading=12.5)
    sheet.record("clinical_reason", episode.clinical_reason)
    return y - height - 12
