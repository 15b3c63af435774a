"""Pieces real forms are made of: letterheads, label/value pairs, boxes, tables, signatures."""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.synthetic.sheet import Sheet

MARGIN = 42.0
# A boxed cell: (share of the row's width, label, value, truth field or "").
Cell = tuple[float, str, str, str]
# A label/value pair: (x, y, label, value, truth field or "").
Pair = tuple[float, float, str, str, str]


def logo(sheet: Sheet, x: float, y: float, initials: str, *, shape: str = "circle") -> None:
    """A badge with the organisation's initials; stands in for a printed logo."""
    if shape == "circle":
        sheet.circle(x + 16, y + 8, 17, fill=0.25)
    else:
        sheet.rect(x, y - 9, 34, 34, fill=0.25, stroke=False)
    sheet.text(x + 17, y + 3, initials, font="Helvetica-Bold", size=12, align="center", gray=1.0)


def initials_of(name: str) -> str:
    words = [word for word in name.replace("&", " ").split() if word[:1].isupper()]
    return "".join(word[0] for word in words[:3])


def letterhead(
    sheet: Sheet, org: str, lines: Sequence[str], *, shape: str = "circle", y: float = 0
) -> float:
    """Logo, organisation name and address lines at the top; returns the y below them."""
    top = y or sheet.height - 58
    logo(sheet, MARGIN, top - 6, initials_of(org), shape=shape)
    sheet.text(MARGIN + 44, top + 4, org, font="Helvetica-Bold", size=15)
    for index, line in enumerate(lines):
        sheet.text(MARGIN + 44, top - 10 - 10 * index, line, size=8.5)
    return top - 16 - 10 * len(lines)


def label_value(
    sheet: Sheet,
    x: float,
    y: float,
    label: str,
    value: str,
    *,
    field: str | None = None,
    size: float = 10,
    label_font: str = "Helvetica-Bold",
    value_font: str = "Helvetica",
) -> float:
    """ "Label: value" on one line; records `field` as printed; returns x after the value."""
    caption = f"{label}:"
    sheet.text(x, y, caption, font=label_font, size=size)
    value_x = x + sheet.width_of(caption, label_font, size) + 5
    sheet.text(value_x, y, value, font=value_font, size=size)
    if field:
        sheet.record(field, value)
    return value_x + sheet.width_of(value, value_font, size)


def boxed_field(
    sheet: Sheet,
    x: float,
    y_top: float,
    w: float,
    label: str,
    value: str,
    *,
    field: str | None = None,
    h: float = 28,
    size: float = 10,
) -> None:
    """A form cell: small label in the top-left corner, the value written inside."""
    sheet.rect(x, y_top - h, w, h)
    sheet.text(x + 3, y_top - 8, label, size=6.5)
    sheet.text(x + 5, y_top - h + 7, value, size=size)
    if field:
        sheet.record(field, value)


def pairs(sheet: Sheet, items: Sequence[Pair], *, size: float = 10) -> None:
    """Several "Label: value" pairs at their own positions."""
    for x, y, label, value, field in items:
        label_value(sheet, x, y, label, value, field=field or None, size=size)


def boxed_row(sheet: Sheet, y_top: float, cells: Sequence[Cell], *, h: float = 28) -> float:
    """A row of boxed cells spanning the page between the margins; returns the y below it."""
    full, x = sheet.width - 2 * MARGIN, MARGIN
    for share, label, value, field in cells:
        boxed_field(sheet, x, y_top, full * share, label, value, field=field or None, h=h)
        x += full * share
    return y_top - h


def section_bar(
    sheet: Sheet, x: float, y: float, w: float, title: str, *, fill: float = 0.2
) -> float:
    """A shaded band with a section title; returns the y just below it."""
    sheet.rect(x, y - 4, w, 15, fill=fill, stroke=False)
    sheet.text(x + 5, y, title, font="Helvetica-Bold", size=9.5, gray=1.0 if fill < 0.5 else 0.0)
    return y - 18


def table(
    sheet: Sheet,
    x: float,
    y_top: float,
    widths: Sequence[float],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    row_height: float = 16,
    size: float = 9,
    right_align: Sequence[int] = (),
) -> float:
    """A fully ruled table with a shaded header row; returns the y of its bottom edge."""
    all_rows = [header, *rows]
    bottom = y_top - row_height * len(all_rows)
    edges = [x + sum(widths[:column]) for column in range(len(widths) + 1)]
    for edge in edges[1:-1]:
        sheet.line(edge, y_top, edge, bottom, 0.6)
    for index, row in enumerate(all_rows):
        top = y_top - index * row_height
        sheet.rect(x, top - row_height, edges[-1] - x, row_height, fill=0.88 if not index else None)
        font, baseline = ("Helvetica" if index else "Helvetica-Bold"), top - row_height + 5
        for column, cell in enumerate(row):
            if index and column in right_align:
                sheet.text(
                    edges[column + 1] - 4, baseline, cell, font=font, size=size, align="right"
                )
            else:
                sheet.text(edges[column] + 4, baseline, cell, font=font, size=size)
    return bottom


def signature(
    sheet: Sheet, x: float, y: float, caption: str, signer: str, *, w: float = 220
) -> None:
    """A signature line with the signer's typed name beneath it."""
    sheet.text(x + 8, y + 4, f"/s/ {signer}", font="Times-Italic", size=13)
    sheet.line(x, y, x + w, y)
    sheet.text(x, y - 10, caption, size=7.5)


def footer(sheet: Sheet, left: str = "", *, style: int = 0) -> None:
    """Page numbering at the bottom, plus an optional left-hand note (form number, notice)."""
    page, total = sheet.page_number, sheet.total_pages
    numbering = f"Page {page} of {total}" if style == 0 else f"{page}/{total}"
    sheet.line(MARGIN, 40, sheet.width - MARGIN, 40, 0.4)
    sheet.text(sheet.width - MARGIN, 28, numbering, size=8, align="right")
    if left:
        sheet.text(MARGIN, 28, left, size=7)


def checkbox_row(
    sheet: Sheet,
    x: float,
    y: float,
    options: Sequence[tuple[str, bool]],
    *,
    style: str,
    size: float = 10,
) -> str:
    """A row of checkboxes; returns the printed text of the checked one."""
    checked_text = ""
    for label, checked in options:
        x, printed = sheet.checkbox(x, y, label, checked, style=style, size=size)
        if checked:
            checked_text = printed
    return checked_text
