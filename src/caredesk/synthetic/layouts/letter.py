"""Payer determination letters: a formal letter, a notice-of-determination form, a status fax."""

from __future__ import annotations

from random import Random

from caredesk.synthetic import forms, world
from caredesk.synthetic.facts import LetterFacts
from caredesk.synthetic.forms import MARGIN
from caredesk.synthetic.layouts.common import PrintChoices, SheetFactory, choose_print, label
from caredesk.synthetic.layouts.pa_request import Row, leader, payer_header
from caredesk.synthetic.sheet import Sheet

# decision → (status word, subject line)
HEADLINES = {
    "approved": ("APPROVED", "Approval of prior authorization request"),
    "denied": ("DENIED", "Adverse determination: request denied"),
    "pended": ("PENDED", "Request pended for clinical review"),
    "request_for_information": (
        "ADDITIONAL INFORMATION REQUESTED",
        "Request for additional information",
    ),
}
APPEAL_RIGHTS = (
    "You or your provider may appeal this decision within 60 days of the date of this letter. "
    "Send a written appeal with any additional records to the address above, or call Member "
    "Services. An expedited appeal is available when waiting could seriously jeopardize health."
)
PENDED = (
    "This request is pended for review by a clinical reviewer. No action is needed from you at "
    "this time; a decision will follow within the applicable review period."
)
RFI = (
    "We need the following information to complete our review. Please fax it within 14 days or "
    "the request may be denied:"
)


def _services(letter: LetterFacts) -> str:
    codes = ", ".join(f"{code} ({world.PROCEDURES[code]})" for code, _ in letter.episode.procedures)
    return f"Service: {codes}"


def _approved(sheet: Sheet, letter: LetterFacts, pick: PrintChoices, y: float) -> float:
    start = pick.day(letter.valid_from) if letter.valid_from else ""
    end = pick.day(letter.valid_through) if letter.valid_through else ""
    text = (
        f"We have approved this request. The authorization is valid from {start} through {end}. "
        "Services must be provided in this period by the servicing provider named in the request."
    )
    sheet.record("valid_from", start)
    sheet.record("valid_through", end)
    return sheet.wrap(MARGIN, y, text, sheet.width - 2 * MARGIN)


def _denied(sheet: Sheet, letter: LetterFacts, y: float) -> float:
    width = sheet.width - 2 * MARGIN
    y = sheet.wrap(MARGIN, y, "We have denied this request.", width)
    reason = f"Reason for denial: {letter.denial_reason}"
    y = sheet.wrap(MARGIN, y - 4, reason, width, font="Helvetica-Bold")
    sheet.record("denial_reason", letter.denial_reason)
    return sheet.wrap(MARGIN, y - 6, APPEAL_RIGHTS, width, size=9)


def _information(sheet: Sheet, letter: LetterFacts, y: float) -> float:
    y = sheet.wrap(MARGIN, y, RFI, sheet.width - 2 * MARGIN) - 4
    for item in letter.requested_items:
        sheet.text(MARGIN + 16, y, f"•  {item}")
        y -= 14
    sheet.record("requested_items", list(letter.requested_items))
    return y


def decision_body(sheet: Sheet, letter: LetterFacts, pick: PrintChoices, y: float) -> float:
    """The paragraph that says what was decided, printing the decision's own fields."""
    if letter.decision == "approved":
        return _approved(sheet, letter, pick, y)
    if letter.decision == "denied":
        return _denied(sheet, letter, y)
    if letter.decision == "pended":
        return sheet.wrap(MARGIN, y, PENDED, sheet.width - 2 * MARGIN)
    return _information(sheet, letter, y)


def letter_a(rng: Random, letter: LetterFacts, new_sheet: SheetFactory) -> Sheet:
    """A formal letter on payer letterhead, addressed to the requesting provider."""
    sheet, pick = new_sheet(), choose_print(rng)
    episode, payer = letter.episode, letter.episode.patient.payer
    y = payer_header(sheet, payer) - 20
    forms.pairs(sheet, [(MARGIN, y, "Date", pick.day(letter.letter_date), "letter_date")])
    for index, line in enumerate((episode.ordering.display, episode.ordering.clinic)):
        sheet.text(MARGIN, y - 24 - 12 * index, line)
    rows: list[Row] = [
        ("RE", HEADLINES[letter.decision][1], "decision"),
        (label(rng, "patient_name", (2, 1)), pick.patient(episode), "patient_name"),
        (label(rng, "member_id", (0, 1, 4)), episode.patient.member_id, "member_id"),
        ("Reference #", letter.reference_number, "reference_number"),
        ("Decision date", pick.day(letter.decision_date), "decision_date"),
    ]
    y -= 66
    forms.pairs(sheet, [(MARGIN, y - 14 * index, *row) for index, row in enumerate(rows)])
    y = sheet.wrap(MARGIN, y - 78, _services(letter), sheet.width - 2 * MARGIN)
    y = decision_body(sheet, letter, pick, y - 8)
    sheet.text(MARGIN, y - 20, "Sincerely,")
    sheet.text(MARGIN, y - 48, "Utilization Management Department", font="Helvetica-Bold")
    sheet.text(MARGIN, y - 60, payer.name)
    forms.footer(sheet, f"{payer.name} · {payer.phone}")
    return sheet


def _b_rows(rng: Random, letter: LetterFacts, pick: PrintChoices) -> list[Row]:
    episode = letter.episode
    code, units = episode.procedures[0]
    return [
        ("Notice date", pick.day(letter.letter_date), "letter_date"),
        (label(rng, "patient_name", (2,)), pick.patient(episode), "patient_name"),
        (label(rng, "member_id", (0, 2)), episode.patient.member_id, "member_id"),
        ("Plan", episode.patient.plan, ""),
        ("Authorization number", letter.reference_number, "reference_number"),
        ("Determination", HEADLINES[letter.decision][0], "decision"),
        ("Determination date", pick.day(letter.decision_date), "decision_date"),
        ("Requested service", f"{code} x {units}", ""),
    ]


def letter_b(rng: Random, letter: LetterFacts, new_sheet: SheetFactory) -> Sheet:
    """A notice-of-determination form: a ruled grid of facts, appeal rights on page two."""
    sheet, pick = new_sheet(total_pages=2), choose_print(rng)
    width, top = sheet.width - 2 * MARGIN, sheet.height
    y = payer_header(sheet, letter.episode.patient.payer, shape="circle")
    title = "NOTICE OF DETERMINATION"
    sheet.text(sheet.width / 2, y - 16, title, font="Helvetica-Bold", size=15, align="center")
    rows = _b_rows(rng, letter, pick)
    cells = [[caption, value] for caption, value, _ in rows]
    y = forms.table(sheet, MARGIN, y - 36, (170, width - 170), ("Item", "Detail"), cells,
                    row_height=18, size=9.5)  # fmt: skip
    for _, value, field in rows:
        if field:
            sheet.record(field, value)
    decision_body(sheet, letter, pick, y - 22)
    forms.footer(sheet, "Keep this notice for your records.")
    sheet.next_page()
    sheet.text(MARGIN, top - 70, "YOUR RIGHTS", font="Helvetica-Bold", size=13)
    y = sheet.wrap(MARGIN, top - 92, APPEAL_RIGHTS, width)
    help_text = "Language assistance is available at no cost. Call the number on the back of "
    sheet.wrap(MARGIN, y - 12, help_text + "your member ID card.", width, size=9)
    forms.footer(sheet, "Keep this notice for your records.")
    return sheet


def letter_c(rng: Random, letter: LetterFacts, new_sheet: SheetFactory) -> Sheet:
    """A short status fax-back: a boxed status word and typed facts."""
    sheet, pick = new_sheet(), choose_print(rng)
    episode, payer = letter.episode, letter.episode.patient.payer
    y = payer_header(sheet, payer, shape="square")
    sheet.text(MARGIN, y - 20, "AUTHORIZATION STATUS UPDATE", font="Courier-Bold", size=14)
    status = HEADLINES[letter.decision][0]
    sheet.rect(MARGIN, y - 72, sheet.width - 2 * MARGIN, 36, width=2)
    sheet.text(sheet.width / 2, y - 60, f"STATUS: {status}", font="Helvetica-Bold", size=18,
               align="center")  # fmt: skip
    sheet.record("decision", status)
    rows: list[Row] = [
        ("Date", pick.day(letter.letter_date), "letter_date"),
        ("Case #", letter.reference_number, "reference_number"),
        (label(rng, "patient_name", (0, 3)), pick.patient(episode), "patient_name"),
        (label(rng, "member_id", (1, 2, 3)), episode.patient.member_id, "member_id"),
    ]
    for index, (caption, value, field) in enumerate(rows):
        leader(sheet, MARGIN, y - 100 - 18 * index, caption, value, field)
    y = decision_body(sheet, letter, pick, y - 100 - 18 * len(rows) - 10)
    closing = f"Questions: call {payer.phone}. Do not reply to this fax."
    sheet.text(MARGIN, y - 20, closing, font="Courier", size=9)
    forms.footer(sheet, style=1)
    return sheet
