"""Clinical notes: a SOAP progress note, a two-page EHR printout, a consultation letter."""

from __future__ import annotations

import re
from random import Random

from caredesk.synthetic import forms, world
from caredesk.synthetic.facts import Episode
from caredesk.synthetic.forms import MARGIN
from caredesk.synthetic.layouts.common import PrintChoices, SheetFactory, choose_print, label
from caredesk.synthetic.layouts.referral import clinic_header
from caredesk.synthetic.printing import name_upper_last_first
from caredesk.synthetic.sheet import Sheet

# Background that never names a piece of checklist evidence, so scenarios stay exact.
HISTORY = ("Hypertension", "Hyperlipidemia", "GERD", "Hypothyroidism", "Seasonal allergies")
MEDICATIONS = (
    "lisinopril 10 mg daily",
    "atorvastatin 20 mg nightly",
    "omeprazole 20 mg daily",
    "levothyroxine 50 mcg daily",
    "cetirizine 10 mg daily",
)
EXAM = (
    "General: well appearing, in no acute distress. Heart: regular rate and rhythm. "
    "Lungs: clear to auscultation bilaterally. Abdomen: soft."
)


def _age(episode: Episode) -> int:
    born, seen = episode.patient.birth_date, episode.note_date
    return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


def _history(episode: Episode) -> str:
    sex = "woman" if episode.patient.sex == "F" else "man"
    # "Obstructive sleep apnea (adult) (pediatric)" reads as "obstructive sleep apnea".
    main = re.sub(r" \(.*?\)", "", world.DIAGNOSES[episode.diagnoses[0]]).lower()
    return (
        f"{_age(episode)}-year-old {sex} seen for {main}. "
        f"{episode.service.reason.format(**episode.values)}"
    )


def _vitals(rng: Random) -> str:
    return (
        f"BP {rng.randint(112, 148)}/{rng.randint(68, 92)}   HR {rng.randint(58, 96)}   "
        f"Temp 98.{rng.randint(0, 9)} F   SpO2 {rng.randint(94, 99)}%"
    )


def _plan(episode: Episode) -> str:
    orders = "; ".join(f"{world.PROCEDURES[code]} ({code})" for code, _ in episode.procedures)
    return (
        f"Order: {orders}. Prior authorization to be submitted to "
        f"{episode.patient.payer.name}. Follow up in 4 weeks."
    )


def _section(sheet: Sheet, y: float, title: str, body: str, *, size: float = 10) -> float:
    sheet.text(MARGIN, y, title, font="Helvetica-Bold", size=10.5)
    return sheet.wrap(MARGIN + 12, y - 14, body, sheet.width - 2 * MARGIN - 12, size=size) - 6


def _assessment(sheet: Sheet, y: float, title: str, episode: Episode, pick: PrintChoices) -> float:
    y = _section(sheet, y, title, episode.clinical_reason)
    sheet.record("clinical_reason", episode.clinical_reason)
    for code in episode.diagnoses:
        sheet.text(MARGIN + 12, y, f"{pick.dx(code)}  {world.DIAGNOSES[code][:70]}", size=9.5)
        y -= 13
    sheet.record("diagnosis_codes", [pick.dx(code) for code in episode.diagnoses])
    return y - 6


def _hide_injection(sheet: Sheet, episode: Episode) -> None:
    if episode.hidden_injection:
        sheet.hidden(MARGIN, 52, episode.hidden_injection)


def _a_heading(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> None:
    name_label, dob_label = label(rng, "patient_name", (0, 1)), label(rng, "date_of_birth", (0, 1))
    end = forms.label_value(sheet, MARGIN, y, name_label, pick.patient(episode),
                            field="patient_name")  # fmt: skip
    dob = pick.dob(episode.patient.birth_date)
    end = forms.label_value(sheet, max(end + 20, 260), y, dob_label, dob, field="date_of_birth")
    visit = pick.day(episode.note_date)
    forms.label_value(sheet, max(end + 20, 420), y, "Visit", visit, field="note_date")
    forms.label_value(sheet, MARGIN, y - 14, "Provider", episode.ordering.display, size=9)


def note_a(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A SOAP progress note on clinic letterhead."""
    sheet, pick = new_sheet(), choose_print(rng)
    y = clinic_header(sheet, episode, "circle") - 14
    sheet.text(sheet.width / 2, y, "PROGRESS NOTE", font="Helvetica-Bold", size=14, align="center")
    _a_heading(rng, sheet, episode, pick, y - 24)
    y = _section(sheet, y - 62, "S:", _history(episode) + " Denies fever or weight loss.")
    y = _section(sheet, y, "O:", f"{_vitals(rng)}. {EXAM}")
    y = _assessment(sheet, y, "A:", episode, pick)
    y = _section(sheet, y, "P:", _plan(episode))
    signed = f"Electronically signed by {episode.ordering.display} on {pick.day(episode.note_date)}"
    sheet.text(MARGIN, y - 14, signed, font="Helvetica-Oblique", size=9)
    _hide_injection(sheet, episode)
    forms.footer(sheet, "Confidential: contains protected health information")
    return sheet


def _banner(sheet: Sheet, episode: Episode, pick: PrintChoices, mrn: str) -> None:
    patient, top = episode.patient, sheet.height
    sheet.rect(MARGIN, top - 62, sheet.width - 2 * MARGIN, 24, fill=0.85, stroke=False)
    name, dob = name_upper_last_first(patient.first, patient.last), pick.dob(patient.birth_date)
    sheet.text(MARGIN + 6, top - 54, name, font="Helvetica-Bold", size=11)
    sheet.text(MARGIN + 220, top - 54, f"DOB: {dob}", size=9.5)
    sheet.text(sheet.width - MARGIN - 6, top - 54, f"MRN: {mrn}", size=9.5, align="right")
    sheet.record("patient_name", name)
    sheet.record("date_of_birth", dob)


def _b_history(rng: Random, sheet: Sheet, episode: Episode, y: float) -> float:
    sections = (
        ("Chief Complaint", episode.service.reason.format(**episode.values)),
        ("History of Present Illness", _history(episode)),
        ("Past Medical History", ", ".join(rng.sample(HISTORY, 3))),
        ("Medications", "; ".join(rng.sample(MEDICATIONS, 3))),
        ("Allergies", rng.choice(("NKDA", "Penicillin (rash)", "Sulfa"))),
    )
    for title, body in sections:
        y = _section(sheet, y, title, body)
    vitals = [f"{rng.randint(112, 148)}/{rng.randint(68, 92)}", str(rng.randint(58, 96)),
              f"{rng.randint(94, 99)}%", f"{rng.randint(120, 260)} lb"]  # fmt: skip
    width = sheet.width - 2 * MARGIN
    y = forms.table(sheet, MARGIN, y, [width / 4] * 4, ("BP", "HR", "SpO2", "Weight"), [vitals])
    return _section(sheet, y - 16, "Physical Exam", EXAM)


def note_b(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A two-page EHR printout: a patient banner on every page, headed sections."""
    sheet, pick = new_sheet(total_pages=2), choose_print(rng)
    mrn, top, footer = f"MRN{rng.randint(1000000, 9999999)}", sheet.height, "Printed from the EHR"
    _banner(sheet, episode, pick, mrn)
    visit = pick.day(episode.note_date)
    forms.label_value(sheet, MARGIN, top - 84, "Encounter date", visit, field="note_date")
    clinic = episode.ordering.clinic
    sheet.text(sheet.width - MARGIN, top - 84, clinic, size=9, align="right")
    _b_history(rng, sheet, episode, top - 110)
    forms.footer(sheet, f"{footer} · {mrn}")
    sheet.next_page()
    _banner(sheet, episode, pick, mrn)
    y = _assessment(sheet, top - 100, "Assessment", episode, pick)
    y = _section(sheet, y, "Plan", _plan(episode))
    signed = f"Signed: {episode.ordering.display}  {visit}"
    sheet.text(MARGIN, y - 10, signed, font="Helvetica-Oblique", size=9)
    _hide_injection(sheet, episode)
    forms.footer(sheet, f"{footer} · {mrn}")
    return sheet


def _c_opening(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    visit = pick.day(episode.note_date)
    sheet.text(MARGIN, y, visit)
    sheet.record("note_date", visit)
    dob_label, dob = label(rng, "date_of_birth", (0, 1)), pick.dob(episode.patient.birth_date)
    forms.pairs(sheet, [(MARGIN, y - 24, "RE", pick.patient(episode), "patient_name"),
                        (MARGIN, y - 38, dob_label, dob, "date_of_birth")])  # fmt: skip
    opening = "Dear Colleague, thank you for asking me to see this patient, whom I saw in "
    return sheet.wrap(
        MARGIN, y - 64, f"{opening}consultation on {visit}.", sheet.width - 2 * MARGIN
    )


def note_c(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A consultation letter back to a referring doctor, with an Impression paragraph."""
    sheet, pick = new_sheet(), choose_print(rng)
    y = _c_opening(rng, sheet, episode, pick, clinic_header(sheet, episode, "square") - 20)
    past = ", ".join(rng.sample(HISTORY, 2))
    y = _section(sheet, y - 8, "History", f"{_history(episode)} Past history: {past}.")
    y = _section(sheet, y, "Examination", f"{_vitals(rng)}. {EXAM}")
    y = _assessment(sheet, y, rng.choice(("Impression", "Assessment and Plan")), episode, pick)
    y = _section(sheet, y, "Recommendations", _plan(episode))
    sheet.text(MARGIN, y - 14, "With kind regards,")
    forms.signature(sheet, MARGIN, y - 50, episode.ordering.specialty, episode.ordering.display)
    _hide_injection(sheet, episode)
    forms.footer(sheet, episode.ordering.clinic)
    return sheet
