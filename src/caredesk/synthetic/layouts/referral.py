"""Referral and order forms from ordering practices: a classic form, a boxed two-pager, a letter."""

from __future__ import annotations

from random import Random

from caredesk.synthetic import forms, world
from caredesk.synthetic.facts import Episode
from caredesk.synthetic.forms import MARGIN
from caredesk.synthetic.layouts.common import (
    PrintChoices,
    SheetFactory,
    choose_print,
    clinical_block,
    diagnosis_rows,
    label,
    procedure_rows,
    record_codes,
    urgency_boxes,
)
from caredesk.synthetic.sheet import Sheet


def clinic_header(sheet: Sheet, episode: Episode, shape: str) -> float:
    doctor = episode.ordering
    lines = (
        f"{doctor.specialty} · {episode.patient.city}, {episode.patient.state}",
        f"Phone {doctor.phone}   Fax {doctor.fax}",
    )
    return forms.letterhead(sheet, doctor.clinic, lines, shape=shape)


def address(episode: Episode) -> str:
    patient = episode.patient
    return f"{patient.street}, {patient.city}, {patient.state} {patient.postal_code}"


# --- referral-a: classic one-page order form ---------------------------------------------
def _a_patient(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    patient, right = episode.patient, sheet.width / 2 + 10
    y = forms.section_bar(sheet, MARGIN, y, sheet.width - 2 * MARGIN, "PATIENT")
    name_label, dob_label = label(rng, "patient_name", (0, 1)), label(rng, "date_of_birth", (0, 1))
    payer_label, plan_label = label(rng, "payer"), label(rng, "plan")
    rows: list[forms.Pair] = [
        (MARGIN, y, name_label, pick.patient(episode), "patient_name"),
        (right, y, dob_label, pick.dob(patient.birth_date), "date_of_birth"),
        (right + 160, y, "Sex", patient.sex, ""),
        (MARGIN, y - 15, "Address", address(episode), ""),
        (MARGIN, y - 30, payer_label, patient.payer.name, "payer"),
        (right, y - 30, plan_label, patient.plan, "plan"),
        (MARGIN, y - 45, label(rng, "member_id", (0, 1, 2)), patient.member_id, "member_id"),
        (right, y - 45, "Phone", patient.phone, ""),
    ]
    forms.pairs(sheet, rows)
    return y - 68


def _a_providers(rng: Random, sheet: Sheet, episode: Episode, y: float) -> float:
    doctor, site, right = episode.ordering, episode.rendering, sheet.width / 2 + 70
    y = forms.section_bar(sheet, MARGIN, y, sheet.width - 2 * MARGIN, "PROVIDERS")
    ordering_label = label(rng, "ordering_provider_name", (0, 1))
    rendering_label = label(rng, "rendering_provider_name", (0, 2, 3))
    rows: list[forms.Pair] = [
        (MARGIN, y, ordering_label, doctor.display, "ordering_provider_name"),
        (right, y, "NPI", doctor.npi, "ordering_provider_npi"),
        (MARGIN, y - 15, rendering_label, site.name, "rendering_provider_name"),
        (right, y - 15, "NPI", site.npi, "rendering_provider_npi"),
    ]
    forms.pairs(sheet, rows)
    forms.label_value(sheet, MARGIN, y - 30, "Location", f"{site.street}, {site.city}", size=9)
    return y - 48


def _a_tables(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    width = sheet.width - 2 * MARGIN
    dx_rows = diagnosis_rows(episode, pick)
    y = forms.table(sheet, MARGIN, y, (90, width - 90), ("ICD-10", "Diagnosis"), dx_rows)
    header = (label(rng, "procedure_codes", (0, 1)), "Service requested", "Units")
    widths = (90, width - 140, 50)
    y = forms.table(
        sheet, MARGIN, y - 10, widths, header, procedure_rows(episode), right_align=(2,)
    )
    record_codes(sheet, episode, pick)
    dos_label = label(rng, "date_of_service", (0, 1, 4))
    dos = pick.day(episode.date_of_service)
    forms.label_value(sheet, MARGIN, y - 18, dos_label, dos, field="date_of_service")
    return y - 32


def referral_a(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """Classic one-page order form: label/value pairs in two columns, ruled code tables."""
    sheet, pick = new_sheet(), choose_print(rng)
    y = clinic_header(sheet, episode, "circle") - 14
    title = "OUTPATIENT REFERRAL / ORDER FORM"
    sheet.text(sheet.width / 2, y, title, font="Helvetica-Bold", size=14, align="center")
    order_date = f"Order date: {pick.day(episode.order_date)}"
    sheet.text(sheet.width - MARGIN, y - 20, order_date, size=9, align="right")
    urgency_boxes(sheet, MARGIN, y - 20, episode, pick, label(rng, "urgency", (0, 1)))
    y = _a_patient(rng, sheet, episode, pick, y - 42)
    y = _a_providers(rng, sheet, episode, y)
    y = _a_tables(rng, sheet, episode, pick, y)
    caption = label(rng, "clinical_reason", (0, 1, 2)).upper()
    y = max(clinical_block(sheet, MARGIN, y, sheet.width - 2 * MARGIN, caption, episode) - 24, 70)
    forms.signature(sheet, MARGIN, y, "Ordering physician signature", episode.ordering.display)
    forms.label_value(sheet, sheet.width - 200, y, "Date", pick.day(episode.order_date))
    forms.footer(sheet, "Form REF-100  rev. 01/2026")
    return sheet


# --- referral-b: boxed two-page request for services --------------------------------------
def _b_page_one(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    patient, doctor, site = episode.patient, episode.ordering, episode.rendering
    full = sheet.width - 2 * MARGIN
    y = forms.section_bar(sheet, MARGIN, sheet.height - 150, full, "PATIENT INFORMATION", fill=0.35)
    y = forms.boxed_row(sheet, y, [
        (0.55, label(rng, "patient_name"), pick.patient(episode), "patient_name"),
        (0.30, label(rng, "date_of_birth"), pick.dob(patient.birth_date), "date_of_birth"),
        (0.15, "Sex", patient.sex, ""),
    ])  # fmt: skip
    y = forms.boxed_row(sheet, y, [(0.7, "Address", address(episode), ""),
                                   (0.3, "Phone", patient.phone, "")])  # fmt: skip
    y = forms.section_bar(sheet, MARGIN, y - 20, full, "INSURANCE", fill=0.35)
    y = forms.boxed_row(sheet, y, [
        (0.36, label(rng, "payer"), patient.payer.name, "payer"),
        (0.36, label(rng, "plan"), patient.plan, "plan"),
        (0.28, label(rng, "member_id"), patient.member_id, "member_id"),
    ])  # fmt: skip
    y = forms.section_bar(
        sheet, MARGIN, y - 20, full, "ORDERING AND SERVICING PROVIDERS", fill=0.35
    )
    y = forms.boxed_row(sheet, y, [
        (0.6, label(rng, "ordering_provider_name"), doctor.display, "ordering_provider_name"),
        (0.4, label(rng, "ordering_provider_npi"), doctor.npi, "ordering_provider_npi"),
    ])  # fmt: skip
    y = forms.boxed_row(sheet, y, [
        (0.6, label(rng, "rendering_provider_name"), site.name, "rendering_provider_name"),
        (0.4, label(rng, "rendering_provider_npi"), site.npi, "rendering_provider_npi"),
    ])  # fmt: skip
    location = f"{site.street}, {site.city}   Phone {site.phone}   Fax {site.fax}"
    y = forms.boxed_row(sheet, y, [(1.0, "Servicing location", location, "")])
    note = "Attach recent office notes and prior imaging or therapy records to this request."
    sheet.wrap(MARGIN, y - 24, note, full, size=9)


def _b_page_two(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    full = sheet.width - 2 * MARGIN
    who = f"Patient: {pick.patient(episode)}    DOB: {pick.dob(episode.patient.birth_date)}"
    sheet.text(MARGIN, sheet.height - 60, who, font="Helvetica-Bold", size=9)
    y = forms.section_bar(sheet, MARGIN, sheet.height - 90, full, "SERVICES REQUESTED", fill=0.35)
    header = (label(rng, "procedure_codes"), "Description", "Units")
    widths = (80, full - 130, 50)
    y = forms.table(sheet, MARGIN, y, widths, header, procedure_rows(episode), right_align=(2,))
    codes = ", ".join(pick.dx(code) for code in episode.diagnoses)
    dos = pick.day(episode.date_of_service)
    forms.pairs(
        sheet,
        [
            (MARGIN, y - 18, label(rng, "diagnosis_codes"), codes, ""),
            (MARGIN, y - 36, label(rng, "date_of_service"), dos, "date_of_service"),
        ],
    )
    record_codes(sheet, episode, pick)
    urgency_boxes(sheet, MARGIN, y - 58, episode, pick, label(rng, "urgency"))
    caption = label(rng, "clinical_reason")
    y = clinical_block(sheet, MARGIN, y - 76, full, caption, episode, lines=6)
    attest = "I certify that the services ordered are medically necessary and that this patient "
    sheet.wrap(MARGIN, y - 4, attest + "is under my care.", full, size=8.5)
    signer = episode.ordering.display
    forms.signature(sheet, MARGIN, y - 60, "Signature of ordering provider", signer)
    forms.label_value(sheet, MARGIN + 300, y - 60, "Date signed", pick.day(episode.order_date))


def referral_b(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """Two pages of boxed fields under shaded section bars, ballot-box check marks."""
    sheet, pick = new_sheet(total_pages=2), choose_print(rng, check_styles=("glyph", "drawn"))
    y = clinic_header(sheet, episode, "square")
    title = "REQUEST FOR SERVICES"
    sheet.text(sheet.width - MARGIN, y - 4, title, font="Helvetica-Bold", size=16, align="right")
    _b_page_one(rng, sheet, episode, pick)
    forms.footer(sheet, "Please fax pages 1-2 together", style=1)
    sheet.next_page()
    _b_page_two(rng, sheet, episode, pick)
    forms.footer(sheet, "Please fax pages 1-2 together", style=1)
    return sheet


# --- referral-c: referral letter ----------------------------------------------------------
def _c_addressee(sheet: Sheet, episode: Episode, y: float) -> None:
    site = episode.rendering
    for index, line in enumerate((site.name, site.street, site.city)):
        sheet.text(MARGIN, y - 12 * index, line, size=10)
    sheet.record("rendering_provider_name", site.name)
    npi = ("Facility NPI", site.npi, "rendering_provider_npi")
    forms.label_value(sheet, MARGIN, y - 40, npi[0], npi[1], field=npi[2])


def _c_re_block(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    patient, x = episode.patient, MARGIN + 20
    rows: list[forms.Pair] = [
        (x, y, "RE", pick.patient(episode), "patient_name"),
        (x, y - 14, label(rng, "date_of_birth"), pick.dob(patient.birth_date), "date_of_birth"),
        (x, y - 28, label(rng, "payer", (0, 1)), patient.payer.name, "payer"),
        (x, y - 42, label(rng, "plan", (0, 1)), patient.plan, "plan"),
        (x, y - 56, label(rng, "member_id"), patient.member_id, "member_id"),
    ]
    forms.pairs(sheet, rows)
    return y - 80


def _c_orders(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    for code, units in episode.procedures:
        sheet.text(MARGIN + 20, y, f"• {world.PROCEDURES[code]}  (CPT/HCPCS {code} x {units})")
        y -= 14
    for code in episode.diagnoses:
        sheet.text(MARGIN + 20, y, f"• Diagnosis {pick.dx(code)} {world.DIAGNOSES[code][:60]}")
        y -= 14
    record_codes(sheet, episode, pick)
    word = "URGENT" if episode.urgency == "expedited" else "Routine"
    dos_label, dos = label(rng, "date_of_service", (1, 2)), pick.day(episode.date_of_service)
    forms.pairs(
        sheet,
        [
            (MARGIN, y - 6, label(rng, "urgency", (0,)), word, "urgency"),
            (MARGIN + 200, y - 6, dos_label, dos, "date_of_service"),
        ],
    )
    return y - 30


def referral_c(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A referral written as a letter: a RE block, then the request in prose and short lists."""
    sheet, pick = new_sheet(), choose_print(rng)
    doctor, width = episode.ordering, sheet.width - 2 * MARGIN
    y = clinic_header(sheet, episode, "circle") - 20
    sheet.text(MARGIN, y, pick.day(episode.order_date), size=10)
    _c_addressee(sheet, episode, y - 24)
    y = _c_re_block(rng, sheet, episode, pick, y - 90)
    sheet.text(MARGIN, y, "Dear Colleague,", size=10)
    opening = "I am referring the patient above for the service below. "
    y = sheet.wrap(MARGIN, y - 18, opening + episode.clinical_reason, width, size=10)
    sheet.record("clinical_reason", episode.clinical_reason)
    y = _c_orders(rng, sheet, episode, pick, y - 8)
    sheet.text(MARGIN, y, "Thank you for seeing this patient. Please send the report to my office.")
    forms.signature(sheet, MARGIN, y - 50, doctor.specialty, doctor.display)
    sheet.record("ordering_provider_name", doctor.display)
    forms.label_value(sheet, MARGIN, y - 76, "NPI", doctor.npi, field="ordering_provider_npi")
    forms.footer(sheet, f"{doctor.clinic} · confidential patient information")
    return sheet
