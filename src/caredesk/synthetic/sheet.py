"""A drawing surface over reportlab that remembers which truth field was printed, how and where.

This is the only module of the generator that imports reportlab.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

_GLYPH_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_GLYPH_FONT = "DejaVuSans"
CHECKED_GLYPH, UNCHECKED_GLYPH = "\u2612", "\u2610"


@cache
def glyph_font_available() -> bool:
    """Ballot-box glyphs need a TrueType font; without DejaVu, boxes print as [X] instead."""
    if not _GLYPH_FONT_FILE.exists():
        return False
    pdfmetrics.registerFont(TTFont(_GLYPH_FONT, str(_GLYPH_FONT_FILE)))
    return True


@dataclass(frozen=True)
class FaxStamp:
    """The line a sending fax machine prints across the top of every page."""

    sender: str
    from_number: str
    to_number: str
    sent_at: datetime
    style: int = 0

    def line(self, page: int, total: int) -> str:
        if self.style == 0:
            when = self.sent_at.strftime("%Y-%m-%d %H:%M")
            return f"FROM: {self.from_number}  TO: {self.to_number}  {when}  P.{page:03d}"
        when = self.sent_at.strftime("%b-%d-%Y %H:%M").upper()
        sender = self.sender.upper()
        return f"{when}  FROM: {sender} {self.from_number}  TO: {self.to_number}  P.{page}/{total}"


class Sheet:
    """One document being drawn page by page, y measured in points from the bottom edge."""

    def __init__(
        self,
        *,
        allowed_fields: frozenset[str],
        total_pages: int = 1,
        page: str = "letter",
        fax_stamp: FaxStamp | None = None,
    ) -> None:
        size = A4 if page == "a4" else letter
        self.width, self.height = float(size[0]), float(size[1])
        self.total_pages = total_pages
        self.page_number = 1
        self.printed: dict[str, object] = {}
        self.field_pages: dict[str, int] = {}
        self.hidden_text: list[str] = []
        self._allowed = allowed_fields
        self._stamp = fax_stamp
        self._buffer = io.BytesIO()
        # invariant=1: no timestamps or random ids, so one seed gives byte-identical PDFs.
        self._canvas = Canvas(self._buffer, pagesize=size, invariant=1, pageCompression=1)
        self._canvas.setCreator("caredesk synthetic corpus")
        self._start_page()

    # --- pages ---------------------------------------------------------------------------
    def _start_page(self) -> None:
        if self._stamp is not None:
            line = self._stamp.line(self.page_number, self.total_pages)
            self.text(18, self.height - 12, line, font="Courier", size=8)

    def next_page(self) -> None:
        self._canvas.showPage()
        self.page_number += 1
        self._start_page()

    def finish(self) -> bytes:
        if self.page_number != self.total_pages:
            raise RuntimeError(f"layout drew {self.page_number} of {self.total_pages} pages")
        self._canvas.showPage()
        self._canvas.save()
        return self._buffer.getvalue()

    # --- truth ---------------------------------------------------------------------------
    def record(self, field: str, printed: object) -> None:
        """Note that truth field `field` is printed on this page as `printed`."""
        if field not in self._allowed:
            raise KeyError(f"{field} is not a truth field of this document type")
        if field not in self.printed:
            self.printed[field] = printed
            self.field_pages[field] = self.page_number

    # --- drawing -------------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        font: str = "Helvetica",
        size: float = 10,
        align: str = "left",
        gray: float = 0.0,
    ) -> None:
        canvas = self._canvas
        canvas.setFillGray(gray)
        canvas.setFont(font, size)
        if align == "right":
            canvas.drawRightString(x, y, value)
        elif align == "center":
            canvas.drawCentredString(x, y, value)
        else:
            canvas.drawString(x, y, value)
        canvas.setFillGray(0)

    def width_of(self, value: str, font: str = "Helvetica", size: float = 10) -> float:
        return float(pdfmetrics.stringWidth(value, font, size))

    def lines_of(
        self, value: str, width: float, font: str = "Helvetica", size: float = 10
    ) -> list[str]:
        return list(simpleSplit(value, font, size, width))

    def wrap(
        self,
        x: float,
        y: float,
        value: str,
        width: float,
        *,
        font: str = "Helvetica",
        size: float = 10,
        leading: float | None = None,
    ) -> float:
        """Draw `value` wrapped to `width`; returns the baseline below the last line."""
        step = leading or size * 1.3
        for line in self.lines_of(value, width, font, size):
            self.text(x, y, line, font=font, size=size)
            y -= step
        return y

    def hidden(self, x: float, y: float, value: str, size: float = 6) -> None:
        """White text: in the text layer, invisible on paper and to OCR."""
        self.hidden_text.append(value)
        self.text(x, y, value, size=size, gray=1.0)

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.8) -> None:
        self._canvas.setLineWidth(width)
        self._canvas.line(x1, y1, x2, y2)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: float | None = None,
        stroke: bool = True,
        width: float = 0.8,
    ) -> None:
        """Rectangle with its lower-left corner at (x, y); `fill` is a gray level."""
        canvas = self._canvas
        canvas.setLineWidth(width)
        if fill is not None:
            canvas.setFillGray(fill)
        canvas.rect(x, y, w, h, stroke=int(stroke), fill=int(fill is not None))
        canvas.setFillGray(0)

    def circle(self, x: float, y: float, r: float, *, fill: float) -> None:
        self._canvas.setFillGray(fill)
        self._canvas.circle(x, y, r, stroke=0, fill=1)
        self._canvas.setFillGray(0)

    def checkbox(
        self, x: float, y: float, label: str, checked: bool, *, style: str, size: float = 10
    ) -> tuple[float, str]:
        """Draw one checkbox and its label; returns (x after it, the printed text)."""
        if style == "glyph" and glyph_font_available():
            mark = CHECKED_GLYPH if checked else UNCHECKED_GLYPH
            self.text(x, y, mark, font=_GLYPH_FONT, size=size + 2)
            self.text(x + size + 5, y, label, size=size)
            return x + size + 5 + self.width_of(label, size=size) + 16, f"{mark} {label}"
        if style == "drawn":
            self.rect(x, y - 1.5, size, size)
            if checked:
                self.text(
                    x + size / 2, y + 0.5, "X", font="Helvetica-Bold", size=size - 1, align="center"
                )
            self.text(x + size + 5, y, label, size=size)
            return x + size + 5 + self.width_of(label, size=size) + 16, label
        printed = f"[{'X' if checked else ' '}] {label}"
        self.text(x, y, printed, font="Courier-Bold", size=size)
        return x + self.width_of(printed, "Courier-Bold", size) + 14, printed
