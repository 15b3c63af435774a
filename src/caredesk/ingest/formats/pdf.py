"""PDF: a page with a usable text layer is read directly (pypdf); an image-only page is rendered."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
from pypdf.errors import PdfReadError
from pypdf.generic._font import Font

from caredesk.domain.documents import BoundingBox, OcrWord
from caredesk.domain.errors import InputRejected, PayloadTooLarge
from caredesk.ingest.formats.base import (
    OCR_DPI,
    FailedPage,
    MediaType,
    RasterPage,
    SourcePage,
    TextPage,
)
from caredesk.ingest.limits import IngestLimits

MIN_TEXT_LAYER_CHARS = 20
MIN_RENDER_DPI = 100
_ASCENT, _DESCENT = 0.78, 0.22

# pypdf reports recoverable damage as log warnings; one bad PDF must not flood the logs.
logging.getLogger("pypdf").setLevel(logging.ERROR)

Matrix = tuple[float, float, float, float, float, float]


class PdfDocumentReader:
    """Reads a PDF page by page, choosing the text layer or a 300 dpi rendering per page."""

    media_type = MediaType.PDF

    def __init__(self, path: Path, limits: IngestLimits) -> None:
        self._path = path
        self._limits = limits
        self._reader = _open_pypdf(path)
        _refuse_active_content(self._reader)
        self._count = _page_count(self._reader)
        if self._count > limits.max_pages:
            raise PayloadTooLarge(
                f"the PDF has {self._count} pages, over the limit of {limits.max_pages} pages",
                pages=self._count,
                limit=limits.max_pages,
            )
        _refuse_giant_pages(self._reader, limits.max_image_pixels)
        self._pdfium: pdfium.PdfDocument | None = None

    @property
    def page_count(self) -> int:
        return self._count

    def pages(self, skip: frozenset[int] = frozenset()) -> Iterator[SourcePage]:
        for index in range(self._count):
            number = index + 1
            if number not in skip:
                yield self._read_page(index)

    def close(self) -> None:
        if self._pdfium is not None:
            self._pdfium.close()
            self._pdfium = None

    def _read_page(self, index: int) -> SourcePage:
        try:
            page = self._reader.pages[index]
            text_page = _text_layer_page(page, index + 1)
        except Exception:  # a broken content stream only means: render it
            text_page = None
        if text_page is not None:
            return text_page
        return self._render(index)

    def _render(self, index: int) -> SourcePage:
        number = index + 1
        try:
            if self._pdfium is None:
                self._pdfium = pdfium.PdfDocument(str(self._path))
            page = self._pdfium[index]
            width_pt, height_pt = page.get_size()
            dpi = _render_dpi(width_pt, height_pt, self._limits.max_image_pixels)
            if dpi < MIN_RENDER_DPI:
                return FailedPage(number, "the page is too large to render within the pixel limit")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            return RasterPage(number=number, image=bitmap.to_pil().convert("L"), dpi=dpi)
        except (pdfium.PdfiumError, ValueError, OSError) as exc:
            return FailedPage(number, f"the page could not be rendered ({type(exc).__name__})")


def _open_pypdf(path: Path) -> pypdf.PdfReader:
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted and not _decrypts_without_password(reader):
            raise InputRejected("the PDF is encrypted and needs a password", encrypted=True)
        return reader
    except InputRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise InputRejected(
            f"the PDF is damaged and cannot be read ({type(exc).__name__})"
        ) from exc


def _decrypts_without_password(reader: pypdf.PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported cipher or missing crypto library: still locked
        return False


def _refuse_active_content(reader: pypdf.PdfReader) -> None:
    """A PDF that runs JavaScript when opened is not paperwork; nobody should open it."""
    try:
        root: Any = reader.trailer["/Root"].get_object()
        action = root.get("/OpenAction")
        names = root.get("/Names")
        scripted = (
            (action is not None and "/JS" in action.get_object())
            or (names is not None and "/JavaScript" in names.get_object())
            or "/AA" in root
        )
    except Exception:  # an unreadable catalog is judged by the page tree next
        return
    if scripted:
        raise InputRejected("the PDF carries JavaScript (active content) and is refused")


def _refuse_giant_pages(reader: pypdf.PdfReader, max_pixels: int) -> None:
    """A page so large that even a low-resolution rendering breaks the pixel limit."""
    for index, page in enumerate(reader.pages):
        try:
            box = page.mediabox
            width, height = float(box.width), float(box.height)
        except Exception:  # noqa: S112 - a page without a usable box is judged when read
            continue
        if _render_dpi(width, height, max_pixels) < MIN_RENDER_DPI:
            raise PayloadTooLarge(
                f"page {index + 1} is too large: {width / 72:.0f}×{height / 72:.0f} inches "
                f"would need more than {max_pixels} pixels to read",
                page=index + 1,
            )


def _page_count(reader: pypdf.PdfReader) -> int:
    try:
        count = len(reader.pages)
    except Exception as exc:  # a broken page tree is a rejected input
        raise InputRejected(f"the PDF page tree is damaged ({type(exc).__name__})") from exc
    if count == 0:
        raise InputRejected("the PDF has no pages (it is empty or damaged)")
    return count


def _render_dpi(width_pt: float, height_pt: float, max_pixels: int) -> int:
    """300 dpi unless the page is so large that the pixel limit forces less."""
    pixels_at_ocr_dpi = (width_pt * OCR_DPI / 72) * (height_pt * OCR_DPI / 72)
    if pixels_at_ocr_dpi <= max_pixels:
        return OCR_DPI
    return int(OCR_DPI * math.sqrt(max_pixels / pixels_at_ocr_dpi))


def _text_layer_page(page: pypdf.PageObject, number: int) -> TextPage | None:
    """The page's words from its text layer, or None when the layer is missing or unusable."""
    if int(page.get("/Rotate", 0) or 0) % 360 != 0:
        return None  # pdfium applies the rotation when rendering; OCR the upright image instead
    box = page.mediabox
    scale = OCR_DPI / 72
    width = round(float(box.width) * scale)
    height = round(float(box.height) * scale)
    collector = _WordCollector(float(box.left), float(box.top), scale, width, height)
    page.extract_text(visitor_operand_before=collector.track, visitor_text=collector.visit)
    words = collector.words()
    if sum(ch.isalnum() for word in words for ch in word.text) < MIN_TEXT_LAYER_CHARS:
        return None
    return TextPage(number=number, words=tuple(words), width=width, height=height, dpi=OCR_DPI)


class _WordCollector:
    """pypdf visitor: turns text runs (matrix + font) into words with pixel boxes."""

    def __init__(self, left: float, top: float, scale: float, width: int, height: int) -> None:
        self._left, self._top, self._scale = left, top, scale
        self._width, self._height = width, height
        self._fonts: dict[int, Font] = {}
        self._raw: list[tuple[str, float, float, float, float]] = []
        self._fill = 0.0
        self._invisible = False
        self._saved: list[tuple[float, bool]] = []
        self._path: list[tuple[float, float, float, float]] = []
        self._dark: list[tuple[float, float, float, float]] = []

    def track(self, operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        """Follow fill colour, render mode and dark filled boxes, to know what is on paper.

        White text is only visible over something dark (a section bar); white on white, or
        render mode 3, is text a person cannot see, and it must not become evidence (nor
        instructions to anyone).
        """
        if operator == b"q":
            self._saved.append((self._fill, self._invisible))
        elif operator == b"Q" and self._saved:
            self._fill, self._invisible = self._saved.pop()
        elif operator in (b"g", b"rg", b"k"):
            self._fill = _fill_level(operator, operands)
        elif operator == b"Tr" and operands:
            self._invisible = int(operands[0]) in (3, 7)
        elif operator == b"re" and len(operands) == 4:
            self._path.append(_rect_on_page([float(v) for v in operands], tuple(cm)))
        elif operator in (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
            if self._fill <= 0.5:
                self._dark.extend(self._path)
            self._path = []
        elif operator in (b"S", b"s", b"n"):
            self._path = []

    def _visible(self, x: float, y: float) -> bool:
        if self._invisible:
            return False
        if self._fill < 0.9:
            return True
        return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in self._dark)

    def visit(self, text: str, cm: Any, tm: Any, font_dict: Any, font_size: Any) -> None:
        if not text.strip():
            return
        matrix = _multiply(tuple(tm), tuple(cm))
        if not self._visible(matrix[4], matrix[5]):
            return
        x_scale = math.hypot(matrix[0], matrix[1])
        y_scale = math.hypot(matrix[2], matrix[3]) or x_scale
        size = float(font_size or 0) or 10.0
        font = self._font(font_dict)
        cursor = 0.0
        # Bullets and other control glyphs map to control characters: they are not words.
        line = "".join(ch if ch.isprintable() else " " for ch in text.split("\n", 1)[0])
        for part in _split_keep_spaces(line):
            advance = sum(_glyph_width(font, ch) for ch in part) * size * x_scale / 1000
            if not part.isspace():
                self._raw.append((part, matrix[4] + cursor, matrix[5], advance, size * y_scale))
            cursor += advance

    def _font(self, font_dict: Any) -> Font | None:
        if font_dict is None:
            return None
        key = id(font_dict)
        if key not in self._fonts:
            try:
                self._fonts[key] = Font.from_font_resource(font_dict)
            except Exception:  # unknown font: fall back to average widths
                return None
        return self._fonts[key]

    def words(self) -> list[OcrWord]:
        baselines = _line_numbers([raw[2] for raw in self._raw])
        out = []
        for (text, x, baseline, advance, size), line in zip(self._raw, baselines, strict=True):
            bbox = BoundingBox(
                x0=max(0.0, (x - self._left) * self._scale),
                y0=max(0.0, (self._top - baseline - _ASCENT * size) * self._scale),
                x1=min(float(self._width), (x + advance - self._left) * self._scale),
                y1=min(float(self._height), (self._top - baseline + _DESCENT * size) * self._scale),
                page_width=self._width,
                page_height=self._height,
            )
            out.append(OcrWord(text=text, bbox=bbox, confidence=100.0, line=line, block=0))
        return out


def _fill_level(operator: bytes, operands: Any) -> float:
    """Lightness of the fill colour, 0 black to 1 white, from gray, RGB or CMYK operands."""
    try:
        values = [float(v) for v in operands]
    except (TypeError, ValueError):
        return 0.0
    if not values:
        return 0.0
    if operator == b"k":
        return 1.0 - max(values)
    return sum(values) / len(values)


def _rect_on_page(rect: list[float], cm: tuple[float, ...]) -> tuple[float, float, float, float]:
    x, y, w, h = rect
    corners = [(x, y), (x + w, y + h)]
    points = [
        (cx * cm[0] + cy * cm[2] + cm[4], cx * cm[1] + cy * cm[3] + cm[5]) for cx, cy in corners
    ]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _glyph_width(font: Font | None, char: str) -> float:
    if font is None:
        return 500.0
    widths = font.character_widths
    if char == " ":
        return float(widths.get(" ", font.space_width))
    return float(widths.get(char, widths.get("default", 500)))


def _split_keep_spaces(text: str) -> list[str]:
    parts: list[str] = []
    for char in text:
        if parts and parts[-1][-1].isspace() == char.isspace():
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def _line_numbers(baselines: list[float], tolerance: float = 2.0) -> list[int]:
    """Runs whose baselines lie within `tolerance` points share a line, numbered top down."""
    ordered = sorted(set(round(b, 1) for b in baselines), reverse=True)
    groups: dict[float, int] = {}
    line, previous = -1, math.inf
    for value in ordered:
        if previous - value > tolerance:
            line += 1
        groups[value] = line
        previous = value
    return [groups[round(b, 1)] for b in baselines]


def _multiply(a: tuple[float, ...], b: tuple[float, ...]) -> Matrix:
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )
