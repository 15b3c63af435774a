"""Invoices: a supplier invoice, a European A4 invoice with VAT, a till-style statement."""

from __future__ import annotations

from decimal import Decimal
from random import Random

from caredesk.synthetic import forms
from caredesk.synthetic.billing import InvoiceFacts
from caredesk.synthetic.forms import MARGIN
from caredesk.synthetic.layouts.common import SheetFactory
from caredesk.synthetic.printing import format_amount, format_date, format_money
from caredesk.synthetic.sheet import Sheet

# Labels per country: number, date, account, due date, title, net, total.
# fmt: off
LOCAL_LABELS: dict[str, tuple[str, ...]] = {
    "de": ("Rechnungsnr. / Invoice no.", "Rechnungsdatum / Date", "Kundennr. / Customer no.",
           "Fällig am / Due date", "Rechnung / Invoice", "Nettobetrag / Net",
           "Gesamtbetrag / Total"),
    "fr": ("N° de facture / Invoice no.", "Date de facture / Date", "Réf. client / Account",
           "Échéance / Due date", "Facture / Invoice", "Total HT / Net", "Total TTC / Total"),
    "nl": ("Factuurnummer / Invoice no.", "Factuurdatum / Date", "Klantnummer / Account",
           "Vervaldatum / Due date", "Factuur / Invoice", "Subtotaal / Net", "Totaal / Total"),
    "uk": ("Invoice No.", "Invoice Date / Tax Point", "Account Ref.", "Payment Due",
           "TAX INVOICE", "Net amount", "Total due"),
    "ie": ("Invoice No.", "Invoice Date", "Your Ref.", "Due Date", "VAT INVOICE", "Net amount",
           "Total due"),
    "us": ("Invoice #", "Invoice Date", "Account #", "Due Date", "INVOICE", "Subtotal",
           "Total Due"),
}
# fmt: on


def _rate(invoice: InvoiceFacts) -> str:
    text = f"{(invoice.tax_rate * 100).normalize():f}"
    return text.replace(".", ",") if invoice.money.decimal == "," else text


def _header_values(invoice: InvoiceFacts, style: str) -> dict[str, str]:
    """Printed header fields in label order: number, date, account, due date."""
    return {
        "invoice_number": invoice.invoice_number,
        "invoice_date": format_date(invoice.invoice_date, style),
        "account_reference": invoice.account_reference,
        "due_date": format_date(invoice.due_date, style),
    }


def _record(sheet: Sheet, invoice: InvoiceFacts, printed: dict[str, str], vendor: str = "") -> None:
    sheet.record("vendor_name", vendor or invoice.vendor.name)
    for field, value in printed.items():
        sheet.record(field, value)
    # Every layout prints the ISO code with the total or on each amount.
    sheet.record("currency", invoice.money.currency)


def _sums(invoice: InvoiceFacts, total_caption: str) -> list[tuple[str, str, Decimal]]:
    tax_caption = f"{invoice.money.tax_label} {_rate(invoice)}%"
    return [("subtotal", "", invoice.subtotal), ("tax", tax_caption, invoice.tax),
            ("total_amount", total_caption, invoice.total)]  # fmt: skip


def _totals(sheet: Sheet, invoice: InvoiceFacts, x: float, y: float, *, use_code: bool) -> float:
    """Subtotal, tax and total right-aligned in a box; returns the y below it."""
    labels, money, right = LOCAL_LABELS[invoice.money.country], invoice.money, sheet.width - MARGIN
    total_caption = labels[6] if use_code else f"{labels[6]} {money.currency}"
    for index, (field, caption, amount) in enumerate(_sums(invoice, total_caption)):
        font = "Helvetica-Bold" if field == "total_amount" else "Helvetica"
        printed, line_y = format_money(amount, money, use_code=use_code), y - 16 * index
        sheet.text(x, line_y, caption or labels[5], font=font, size=10)
        sheet.text(right - 4, line_y, printed, font=font, size=10, align="right")
        sheet.record(field, printed)
    sheet.rect(x - 6, y - 40, right - x + 6, 54)
    return y - 68


def _line_rows(invoice: InvoiceFacts, *, numbered: bool) -> list[list[str]]:
    rows = []
    for index, line in enumerate(invoice.lines, start=1):
        unit, amount = (
            format_amount(value, invoice.money) for value in (line.unit_price, line.amount)
        )
        row = [line.code, line.description[:52], str(line.quantity), unit, amount]
        rows.append([str(index), *row] if numbered else row)
    return rows


def invoice_a(rng: Random, invoice: InvoiceFacts, new_sheet: SheetFactory) -> Sheet:
    """A supplier's invoice: logo, a boxed header table, ruled line items and a totals box."""
    money, vendor = invoice.money, invoice.vendor
    labels, style = LOCAL_LABELS[money.country], rng.choice(money.date_styles)
    sheet = new_sheet(page=money.page)
    shape = rng.choice(("circle", "square"))
    y = forms.letterhead(sheet, vendor.name, vendor.address, shape=shape)
    right, width = sheet.width - MARGIN, sheet.width - 2 * MARGIN
    sheet.text(right, sheet.height - 62, labels[4], font="Helvetica-Bold", size=24, align="right")
    printed = _header_values(invoice, style)
    header, cells = labels[:4], [list(printed.values())]
    y = forms.table(sheet, MARGIN, y - 16, [width / 4] * 4, header, cells, size=8.5)
    sheet.text(MARGIN, y - 22, "Bill To:", font="Helvetica-Bold")
    for index, line in enumerate(invoice.bill_to):
        sheet.text(MARGIN, y - 36 - 12 * index, line, size=9.5)
    header = ("Code", "Description", "Qty", "Unit Price", "Amount")
    rows, widths = _line_rows(invoice, numbered=False), (60, width - 250, 40, 75, 75)
    y = forms.table(sheet, MARGIN, y - 100, widths, header, rows, right_align=(2, 3, 4))
    y = _totals(sheet, invoice, right - 210, y - 22, use_code=False)
    _record(sheet, invoice, printed)
    thanks = f"Thank you for your business. {vendor.bank}. {vendor.tax_id}."
    sheet.wrap(MARGIN, y, thanks, width, size=8.5)
    forms.footer(sheet, "Questions about this invoice? Call 555-0100.")
    return sheet


def _b_sender(sheet: Sheet, invoice: InvoiceFacts) -> None:
    vendor, right, top = invoice.vendor, sheet.width - MARGIN, sheet.height
    sheet.text(right, top - 60, vendor.name, font="Times-Bold", size=18, align="right")
    sheet.text(right, top - 74, " · ".join(vendor.address), size=8, align="right")
    sheet.text(MARGIN, top - 130, f"{vendor.name} · {vendor.address[0]}", size=6.5)
    sheet.line(MARGIN, top - 133, MARGIN + 230, top - 133, 0.3)
    for index, line in enumerate(invoice.bill_to):
        sheet.text(MARGIN, top - 150 - 13 * index, line, size=10)


def _b_info(sheet: Sheet, invoice: InvoiceFacts, printed: dict[str, str]) -> None:
    labels = LOCAL_LABELS[invoice.money.country]
    x, y, right = sheet.width - MARGIN - 230, sheet.height - 150, sheet.width - MARGIN
    for index, value in enumerate(printed.values()):
        sheet.text(x, y - 14 * index, labels[index], size=8.5)
        sheet.text(right, y - 14 * index, value, font="Helvetica-Bold", size=9, align="right")


def invoice_b(rng: Random, invoice: InvoiceFacts, new_sheet: SheetFactory) -> Sheet:
    """A European A4 invoice: sender line over an address window, bilingual labels, VAT."""
    money, vendor = invoice.money, invoice.vendor
    sheet, printed = new_sheet(page="a4"), _header_values(invoice, rng.choice(money.date_styles))
    _b_sender(sheet, invoice)
    _b_info(sheet, invoice, printed)
    y, width = sheet.height - 240, sheet.width - 2 * MARGIN
    sheet.text(MARGIN, y, LOCAL_LABELS[money.country][4], font="Helvetica-Bold", size=16)
    header = ("Pos.", "Art.-Nr.", "Description", "Qty", "Unit price", "Amount")
    widths, rows = (30, 70, width - 285, 40, 70, 75), _line_rows(invoice, numbered=True)
    y = forms.table(sheet, MARGIN, y - 16, widths, header, rows, right_align=(3, 4, 5))
    use_code = rng.random() < 0.5
    y = _totals(sheet, invoice, sheet.width - MARGIN - 230, y - 24, use_code=use_code)
    _record(sheet, invoice, printed)
    days = (invoice.due_date - invoice.invoice_date).days
    sheet.text(MARGIN, y - 8, f"Payable within {days} days without deduction.", size=9)
    sheet.line(MARGIN, 70, sheet.width - MARGIN, 70, 0.4)
    sheet.text(MARGIN, 58, f"{vendor.name} · {vendor.tax_id} · {vendor.bank}", size=7)
    forms.footer(sheet, style=1)
    return sheet


def _c_line(sheet: Sheet, y: float, left: str, right: str, *, bold: bool = False) -> float:
    font, middle = ("Courier-Bold" if bold else "Courier"), sheet.width / 2
    sheet.text(middle - 150, y, left, font=font, size=9.5)
    sheet.text(middle + 150, y, right, font=font, size=9.5, align="right")
    return y - 13


def _c_body(sheet: Sheet, invoice: InvoiceFacts, y: float) -> float:
    money, rule = invoice.money, "-" * 52
    y = _c_line(sheet, y - 4, rule, "")
    for line in invoice.lines:
        y = _c_line(sheet, y, f"{line.code}  {line.description[:30]}", "")
        quantity = f"   {line.quantity} x {format_amount(line.unit_price, money)}"
        y = _c_line(sheet, y, quantity, format_amount(line.amount, money))
    y = _c_line(sheet, y, rule, "")
    for field, caption, amount in _sums(invoice, f"TOTAL {money.currency}"):
        printed = format_amount(amount, money)
        y = _c_line(sheet, y, caption or "SUBTOTAL", printed, bold=field == "total_amount")
        sheet.record(field, printed)
    return y


def invoice_c(rng: Random, invoice: InvoiceFacts, new_sheet: SheetFactory) -> Sheet:
    """A till-style statement: one narrow typewriter column with dashed rules."""
    money, vendor = invoice.money, invoice.vendor
    style, kind = rng.choice(money.date_styles), rng.choice(("STATEMENT", "RECEIPT", "BILL"))
    sheet = new_sheet(page=money.page)
    middle, y = sheet.width / 2, sheet.height - 80
    sheet.text(middle, y, vendor.name.upper(), font="Courier-Bold", size=12, align="center")
    for index, line in enumerate(vendor.address[:2]):
        sheet.text(middle, y - 14 - 12 * index, line, font="Courier", size=9, align="center")
    sheet.text(middle, y - 56, kind, font="Courier-Bold", size=14, align="center")
    printed, y = _header_values(invoice, style), y - 80
    captions = (f"{kind.title()} no:", "Date:", "Account:", "Payment due:")
    for caption, value in zip(captions, printed.values(), strict=True):
        y = _c_line(sheet, y, caption, value)
    y = _c_body(sheet, invoice, y)
    _record(sheet, invoice, printed, vendor.name.upper())
    _c_line(sheet, y - 20, "Thank you!", vendor.tax_id[:24])
    forms.footer(sheet)
    return sheet
