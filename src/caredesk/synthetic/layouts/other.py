"""Paper with nothing to extract: fax cover sheets and a fax transmission report."""

from __future__ import annotations

from random import Random

from caredesk.synthetic import forms
from caredesk.synthetic.facts import CoverFacts
from caredesk.synthetic.forms import MARGIN
from caredesk.synthetic.layouts.common import SheetFactory
from caredesk.synthetic.sheet import Sheet

CONFIDENTIALITY = (
    "CONFIDENTIALITY NOTICE: This facsimile contains confidential information intended only for "
    "the recipient named above. If you received it in error, notify the sender at once by "
    "telephone and destroy all copies. Review, disclosure or distribution by anyone else is "
    "prohibited."
)
NOTES = ("Records as requested.", "Please call with any questions.", "Original will not follow.")


def fax_cover_a(rng: Random, cover: CoverFacts, new_sheet: SheetFactory) -> Sheet:
    """A bold FAX title, a ruled grid of routing details and action checkboxes."""
    sheet = new_sheet()
    width = sheet.width - 2 * MARGIN
    contact = (f"Phone {cover.sender_phone}   Fax {cover.sender_fax}",)
    forms.letterhead(sheet, cover.sender, contact)
    sheet.text(MARGIN, sheet.height - 150, "FAX", font="Helvetica-Bold", size=56)
    rows = [["To", cover.recipient], ["Fax", cover.recipient_fax], ["From", cover.contact],
            ["Date", cover.sent_at.strftime("%m/%d/%Y %I:%M %p")],
            ["Pages (incl. cover)", str(cover.pages)], ["Re", cover.subject]]  # fmt: skip
    y = forms.table(sheet, MARGIN, sheet.height - 180, (150, width - 150), ("", ""), rows,
                    row_height=22, size=11)  # fmt: skip
    actions = [("Urgent", rng.random() < 0.3), ("For review", True), ("Please reply", False)]
    forms.checkbox_row(sheet, MARGIN, y - 30, actions, style="ascii")
    sheet.text(MARGIN, y - 70, "Comments:", font="Helvetica-Bold")
    sheet.wrap(MARGIN, y - 86, "Please see attached documents.", width)
    sheet.wrap(MARGIN, 110, CONFIDENTIALITY, width, size=8)
    forms.footer(sheet)
    return sheet


def fax_cover_b(rng: Random, cover: CoverFacts, new_sheet: SheetFactory) -> Sheet:
    """A memo-style transmittal: centred title, typed routing lines, a short note."""
    sheet = new_sheet()
    middle, width, top = sheet.width / 2, sheet.width - 2 * MARGIN, sheet.height
    sheet.text(middle, top - 80, cover.sender.upper(), font="Times-Bold", size=16, align="center")
    title = "FACSIMILE TRANSMITTAL"
    sheet.text(middle, top - 110, title, font="Times-Roman", size=22, align="center")
    sheet.line(MARGIN, top - 122, sheet.width - MARGIN, top - 122, 2)
    lines = (("TO:", cover.recipient), ("FAX NUMBER:", cover.recipient_fax),
             ("FROM:", f"{cover.contact}, {cover.sender}"), ("PHONE:", cover.sender_phone),
             ("DATE:", cover.sent_at.strftime("%B %d, %Y")),
             ("TOTAL PAGES:", str(cover.pages)), ("SUBJECT:", cover.subject))  # fmt: skip
    y = top - 160
    for caption, value in lines:
        sheet.text(MARGIN, y, caption, font="Times-Bold", size=12)
        sheet.text(MARGIN + 130, y, value, font="Times-Roman", size=12)
        y -= 22
    sheet.line(MARGIN, y, sheet.width - MARGIN, y, 1)
    note = rng.choice(NOTES)
    sheet.wrap(MARGIN, y - 24, note, width, font="Times-Roman", size=12)
    sheet.wrap(MARGIN, 120, CONFIDENTIALITY, width, font="Times-Italic", size=9)
    forms.footer(sheet, style=1)
    return sheet


def fax_report_c(rng: Random, cover: CoverFacts, new_sheet: SheetFactory) -> Sheet:
    """A fax machine's transmission report: a typed log table and a result line."""
    sheet = new_sheet()
    y, width = sheet.height - 70, sheet.width - 2 * MARGIN
    sheet.text(MARGIN, y, "*** TRANSMISSION REPORT ***", font="Courier-Bold", size=13)
    sender = f"{cover.sent_at:%Y-%m-%d %H:%M}   {cover.sender[:28].upper()}"
    sheet.text(MARGIN, y - 20, sender, font="Courier", size=10)
    duration = f"{rng.randint(0, 4)}'{rng.randint(10, 59)}\""
    job = f"{rng.randint(100, 999):04d}"
    rows = [[job, cover.recipient_fax, f"{cover.sent_at:%m/%d %H:%M}", duration,
             str(cover.pages), "OK"]]  # fmt: skip
    header = ("JOB", "DESTINATION", "START", "DURATION", "PAGES", "RESULT")
    widths = (60, 120, 100, 80, width - 420, 60)
    y = forms.table(sheet, MARGIN, y - 44, widths, header, rows)
    sheet.text(MARGIN, y - 30, "RESULT: OK - ALL PAGES SENT", font="Courier-Bold", size=11)
    sheet.text(MARGIN, y - 50, "MODE: STANDARD ECM", font="Courier", size=10)
    forms.footer(sheet, style=1)
    return sheet
