"""OCR pages built by hand for extraction tests: words placed on lines, in pixels."""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.domain.documents import BoundingBox, ExtractedField, OcrWord, PageResult, PageSource
from caredesk.ingest.extract.engine import DocumentView
from caredesk.ingest.extract.layout import LabelIndex
from caredesk.ingest.extract.referral import PHRASES, extract_referral


def word_at(
    x: float,
    y: float,
    text: str,
    *,
    height: float = 30,
    width: float = 0,
    confidence: float = 90,
) -> OcrWord:
    """One word with its top left corner at (x, y): 15 px a character unless `width` says."""
    box = BoundingBox(
        x0=x,
        y0=y,
        x1=x + (width or 15 * len(text)),
        y1=y + height,
        page_width=2550,
        page_height=3300,
    )
    return OcrWord(text=text, bbox=box, confidence=confidence, line=0, block=0)


def words(text: str, *, y: float = 100, x: float = 100, gap: float = 12) -> list[OcrWord]:
    """Words of `text` on one line, 15 px a character, 30 px tall."""
    out = []
    for token in text.split():
        out.append(word_at(x, y, token))
        x = out[-1].bbox.x1 + gap
    return out


def page(*lines: str) -> PageResult:
    """A page of `lines`, one every 60 px."""
    return page_of([w for i, line in enumerate(lines) for w in words(line, y=100 + 60 * i)])


def referral_of(*lines: str) -> dict[str, ExtractedField]:
    """The referral fields extraction finds on a page of `lines`."""
    return extract_referral(DocumentView("d", [page(*lines)], LabelIndex(PHRASES)))


def page_of(placed: Sequence[OcrWord]) -> PageResult:
    """A 300 dpi OCR page holding words placed by hand."""
    return PageResult(
        number=1, source=PageSource.OCR, width=2550, height=3300, dpi=300, words=tuple(placed)
    )
