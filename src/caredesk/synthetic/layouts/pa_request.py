"""Payer prior-authorization request forms: branded two-pager, uniform grid, typed three-pager."""

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
    record_codes,
    urgency_boxes,
)
from caredesk.synthetic.sheet import Sheet

# (caption, value, truth field or "") rows of the grid and typed layouts.
Row = tuple[str, str, str]


def payer_header(sheet: Sheet, payer: world.Payer, shape: str = "square") -> float:
    lines = (
        f"Utilization Management · {payer.street}, {payer.city}",
        f"Phone {payer.phone}   Fax {payer.fax}",
    )
    y = forms.letterhead(sheet, payer.name, lines, shape=shape)
    sheet.record("payer", payer.name)
    return y


# --- pa-request-a: payer-branded, numbered sections, two pages ----------------------------
def _a_member(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> float:
    patient, doctor, site = episode.patient, episode.ordering, episode.rendering
    full = sheet.width - 2 * MARGIN
    y = forms.section_bar(sheet, MARGIN, y, full, "1. MEMBER INFORMATION", fill=0.8)
    y = forms.boxed_row(sheet, y, [
        (0.6, label(rng, "patient_name", (0, 2)), pick.patient(episode), "patient_name"),
        (0.4, label(rng, "date_of_birth"), pick.dob(patient.birth_date), "date_of_birth"),
    ])  # fmt: skip
    y = forms.boxed_row(sheet, y, [
        (0.5, label(rng, "member_id", (0, 1)), patient.member_id, "member_id"),
        (0.5, label(rng, "plan"), patient.plan, "plan"),
    ])  # fmt: skip
    y = forms.section_bar(sheet, MARGIN, y - 20, full, "2. REQUESTING PROVIDER", fill=0.8)
    y = forms.boxed_row(sheet, y, [
        (0.5, "Name", doctor.display, "ordering_provider_name"),
        (0.2, "NPI", doctor.npi, "ordering_provider_npi"),
        (0.15, "Phone", doctor.phone, ""),
        (0.15, "Fax", doctor.fax, ""),
    ])  # fmt: skip
    y = forms.section_bar(sheet, MARGIN, y - 20, full, "3. SERVICING PROVIDER / FACILITY", fill=0.8)
    y = forms.boxed_row(sheet, y, [
        (0.5, "Name", site.name, "rendering_provider_name"),
        (0.2, "NPI", site.npi, "rendering_provider_npi"),
        (0.3, "Phone", site.phone, ""),
    ])  # fmt: skip
    return y - 20


def _a_service(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices, y: float) -> None:
    full = sheet.width - 2 * MARGIN
    y = forms.section_bar(sheet, MARGIN, y, full, "4. REVIEW TYPE", fill=0.8)
    urgency_boxes(sheet, MARGIN, y - 2, episode, pick, "Check one")
    y = forms.section_bar(sheet, MARGIN, y - 24, full, "5. SERVICE REQUESTED", fill=0.8)
    start = pick.day(episode.date_of_service)
    rows = [[code, world.PROCEDURES[code][:44], str(units), start]
            for code, units in episode.procedures]  # fmt: skip
    header = (label(rng, "procedure_codes", (0, 4)), "Description", "Units",
              label(rng, "date_of_service", (2, 4)))  # fmt: skip
    y = forms.table(sheet, MARGIN, y, (70, full - 220, 50, 100), header, rows)
    sheet.record("date_of_service", start)
    y = forms.section_bar(sheet, MARGIN, y - 16, full, "6. DIAGNOSIS", fill=0.8)
    dx_header = ("ICD-10-CM", "Description")
    forms.table(sheet, MARGIN, y, (90, full - 90), dx_header, diagnosis_rows(episode, pick))
    record_codes(sheet, episode, pick)


def _a_page_two(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    full = sheet.width - 2 * MARGIN
    member = f"Member: {pick.patient(episode)}   Member ID: {episode.patient.member_id}"
    sheet.text(MARGIN, sheet.height - 56, member, size=9)
    y = forms.section_bar(
        sheet, MARGIN, sheet.height - 80, full, "7. CLINICAL INFORMATION", fill=0.8
    )
    caption = "Summary of medical necessity"
    y = clinical_block(sheet, MARGIN, y, full, caption, episode, lines=8)
    attest = "By signing, the requesting provider attests that the information above is accurate"
    sheet.wrap(MARGIN, y, attest + " and supported by the medical record.", full, size=8.5)
    signer = episode.ordering.display
    forms.signature(sheet, MARGIN, y - 50, "Requesting provider signature", signer)
    forms.label_value(sheet, MARGIN + 300, y - 50, "Date", pick.day(episode.order_date))
    sheet.rect(MARGIN, 70, full, 60)
    office = "FOR PLAN USE ONLY   Reference #: ____________   Reviewer: ______"
    sheet.text(MARGIN + 6, 118, office, size=8.5)


def pa_request_a(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """The payer's own two-page form: numbered sections of boxed cells."""
    sheet, pick = new_sheet(total_pages=2), choose_print(rng, check_styles=("drawn", "ascii"))
    payer, middle = episode.patient.payer, sheet.width / 2
    y = payer_header(sheet, payer)
    title = "PRIOR AUTHORIZATION REQUEST FORM"
    sheet.text(middle, y - 14, title, font="Helvetica-Bold", size=14, align="center")
    notice = f"Fax completed form to {payer.fax}. Incomplete forms will be returned."
    sheet.text(middle, y - 28, notice, size=8.5, align="center")
    y = _a_member(rng, sheet, episode, pick, y - 46)
    _a_service(rng, sheet, episode, pick, y)
    forms.footer(sheet, f"{payer.short}-PA-01 (2026)")
    sheet.next_page()
    _a_page_two(rng, sheet, episode, pick)
    forms.footer(sheet, f"{payer.short}-PA-01 (2026)")
    return sheet


# --- pa-request-b: uniform grid, one page -------------------------------------------------
def _grid_row(sheet: Sheet, y: float, caption: str, value: str, field: str) -> float:
    full = sheet.width - 2 * MARGIN
    sheet.rect(MARGIN, y - 18, 170, 18, fill=0.9)
    sheet.rect(MARGIN + 170, y - 18, full - 170, 18)
    sheet.text(MARGIN + 4, y - 13, caption, font="Helvetica-Bold", size=9)
    sheet.text(MARGIN + 176, y - 13, value, size=9.5)
    if field:
        sheet.record(field, value)
    return y - 18


def _b_rows(rng: Random, episode: Episode, pick: PrintChoices) -> list[Row]:
    patient, doctor, site = episode.patient, episode.ordering, episode.rendering
    procedures = "; ".join(f"{code} x {units}" for code, units in episode.procedures)
    diagnoses = "; ".join(pick.dx(code) for code in episode.diagnoses)
    return [
        (label(rng, "payer", (1, 3)), patient.payer.name, "payer"),
        (label(rng, "plan"), patient.plan, "plan"),
        (label(rng, "patient_name", (2, 0)), pick.patient(episode), "patient_name"),
        (label(rng, "date_of_birth"), pick.dob(patient.birth_date), "date_of_birth"),
        (label(rng, "member_id"), patient.member_id, "member_id"),
        (label(rng, "ordering_provider_name", (2, 3)), doctor.display, "ordering_provider_name"),
        ("Requesting Provider NPI", doctor.npi, "ordering_provider_npi"),
        (label(rng, "rendering_provider_name", (1, 2)), site.name, "rendering_provider_name"),
        ("Servicing NPI", site.npi, "rendering_provider_npi"),
        (label(rng, "diagnosis_codes", (2, 4)), diagnoses, ""),
        ("CPT/HCPCS x Units", procedures, ""),
        (label(rng, "date_of_service"), pick.day(episode.date_of_service), "date_of_service"),
    ]


def pa_request_b(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A uniform request: one ruled grid of shaded labels and values."""
    sheet, pick = new_sheet(), choose_print(rng, check_styles=("ascii",))
    doctor, middle, top = episode.ordering, sheet.width / 2, sheet.height
    title = "UNIFORM PRIOR AUTHORIZATION REQUEST"
    sheet.text(middle, top - 60, title, font="Helvetica-Bold", size=15, align="center")
    sender = f"Submitted by {doctor.clinic} · fax {doctor.fax}"
    sheet.text(middle, top - 76, sender, size=9, align="center")
    y = top - 96
    for caption, value, field in _b_rows(rng, episode, pick):
        y = _grid_row(sheet, y, caption, value, field)
    record_codes(sheet, episode, pick)
    y = _grid_row(sheet, y, label(rng, "urgency", (2, 3)), "", "")
    boxes = pick.urgency(episode.urgency)
    sheet.record("urgency", forms.checkbox_row(sheet, MARGIN + 176, y + 5, boxes, style="ascii"))
    caption = label(rng, "clinical_reason", (3, 4))
    y = clinical_block(sheet, MARGIN, y - 10, sheet.width - 2 * MARGIN, caption, episode, lines=5)
    forms.signature(sheet, MARGIN, y - 30, "Signature", doctor.display)
    forms.label_value(sheet, MARGIN + 300, y - 30, "Date", pick.day(episode.order_date))
    forms.footer(sheet, "Uniform PA request v3")
    return sheet


# --- pa-request-c: typed pre-service review request, three pages --------------------------
def leader(sheet: Sheet, x: float, y: float, caption: str, value: str, field: str) -> None:
    """ "Caption ........ value" in typewriter type, values aligned in one column."""
    dots = "." * max(3, 28 - len(caption))
    sheet.text(x, y, f"{caption} {dots}", font="Courier", size=10)
    sheet.text(x + 215, y, value, font="Courier-Bold", size=10)
    if field:
        sheet.record(field, value)


def _c_rows(rng: Random, episode: Episode, pick: PrintChoices) -> list[Row]:
    patient, doctor, site = episode.patient, episode.ordering, episode.rendering
    return [
        (label(rng, "payer", (0, 2)), patient.payer.name, "payer"),
        (label(rng, "plan", (0, 2)), patient.plan, "plan"),
        (label(rng, "patient_name", (0, 3)), pick.patient(episode), "patient_name"),
        (label(rng, "date_of_birth", (0, 3)), pick.dob(patient.birth_date), "date_of_birth"),
        (label(rng, "member_id", (2, 3, 4)), patient.member_id, "member_id"),
        ("Patient Phone", patient.phone, ""),
        (label(rng, "ordering_provider_name", (1, 3)), doctor.display, "ordering_provider_name"),
        (label(rng, "ordering_provider_npi"), doctor.npi, "ordering_provider_npi"),
        ("Provider Fax", doctor.fax, ""),
        (label(rng, "rendering_provider_name", (0, 1)), site.name, "rendering_provider_name"),
        (label(rng, "rendering_provider_npi"), site.npi, "rendering_provider_npi"),
    ]


def _c_typed(sheet: Sheet, y: float, title: str, rows: list[Row], step: float = 20) -> float:
    sheet.text(MARGIN, y, title, font="Courier-Bold", size=11)
    for caption, value, field in rows:
        y -= step
        leader(sheet, MARGIN + 10, y, caption, value, field)
    return y


def _c_page_one(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    rows = _c_rows(rng, episode, pick)
    _c_typed(sheet, sheet.height - 135, "SECTION A - MEMBER AND PROVIDERS", rows)


def _c_page_two(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    code_label = label(rng, "procedure_codes", (1, 2))
    rows = [(code_label, f"{code}  units {units}", "") for code, units in episode.procedures]
    dx_label = label(rng, "diagnosis_codes", (0, 3))
    rows += [(dx_label, pick.dx(code), "") for code in episode.diagnoses]
    urgency = "EXPEDITED" if episode.urgency == "expedited" else "STANDARD"
    dos = pick.day(episode.date_of_service)
    rows += [(label(rng, "date_of_service"), dos, "date_of_service"),
             (label(rng, "urgency"), urgency, "urgency")]  # fmt: skip
    y = _c_typed(sheet, sheet.height - 135, "SECTION B - REQUESTED SERVICES", rows, 18)
    record_codes(sheet, episode, pick)
    title = "SECTION C - " + label(rng, "clinical_reason").upper()
    sheet.text(MARGIN, y - 34, title, font="Courier-Bold", size=11)
    width = sheet.width - 2 * MARGIN - 20
    reason = episode.clinical_reason
    sheet.wrap(MARGIN + 10, y - 54, reason, width, font="Courier", size=10, leading=14)
    sheet.record("clinical_reason", reason)


def _c_page_three(rng: Random, sheet: Sheet, episode: Episode, pick: PrintChoices) -> None:
    y = sheet.height - 135
    sheet.text(MARGIN, y, "SECTION D - ATTACHMENTS AND ATTESTATION", font="Courier-Bold", size=11)
    attachments = (("Office notes", True), ("Imaging reports", rng.random() < 0.5),
                   ("Therapy records", rng.random() < 0.5), ("Lab results", False))  # fmt: skip
    for index, (name, attached) in enumerate(attachments):
        sheet.checkbox(MARGIN + 10, y - 24 - 18 * index, name, attached, style="ascii")
    attest = "I attest that the information provided is true and complete to the best of my "
    width = sheet.width - 2 * MARGIN
    sheet.wrap(MARGIN, y - 120, attest + "knowledge.", width, font="Courier", size=10)
    signer = episode.ordering.display
    forms.signature(sheet, MARGIN, y - 190, "Signature of requesting provider", signer)
    leader(sheet, MARGIN, y - 230, "Date signed", pick.day(episode.order_date), "")


def pa_request_c(rng: Random, episode: Episode, new_sheet: SheetFactory) -> Sheet:
    """A typed pre-service review request over three pages, values in a dotted-leader column."""
    sheet, pick = new_sheet(total_pages=3), choose_print(rng)
    pages = (_c_page_one, _c_page_two, _c_page_three)
    for number, draw in enumerate(pages):
        if number:
            sheet.next_page()
        payer_header(sheet, episode.patient.payer, shape="circle")
        title, right = "PRE-SERVICE REVIEW REQUEST", sheet.width - MARGIN
        sheet.text(right, sheet.height - 100, title, font="Courier-Bold", size=13, align="right")
        draw(rng, sheet, episode, pick)
        forms.footer(sheet, "Return by fax. Keep a copy for your records.")
    return sheet
