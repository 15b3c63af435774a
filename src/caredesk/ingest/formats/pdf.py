"""PDF: a page with a usable text layer is read directly (pdfium); an image-only page is rendered.

pypdf opens the file and checks it (encryption, active content, page count and sizes); pdfium
reads each page, its text layer or, when there is none, its pixels: a rendering at 300 dpi, or,
for a page that is nothing but one bitmap under 300 dpi (a fax or scan wrapped in a PDF), the
bitmap's own pixels, as a TIFF of the same fax would give them.
"""

from __future__ import annotations

import ctypes
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image
from pypdf.errors import PdfReadError

from caredesk.domain.documents import BoundingBox, OcrWord
from caredesk.domain.errors import InputRejected, PayloadTooLarge
from caredesk.ingest.formats.base import (
    OCR_DPI,
    FailedPage,
    MediaType,
    RasterPage,
    SourcePage,
    TextPage,
    check_pixels,
    square_pixels,
)
from caredesk.ingest.limits import IngestLimits

MIN_TEXT_LAYER_CHARS = 20
MIN_RENDER_DPI = 100
# A bitmap filling at least this share of the page (each way) is the page.
_FILLS_PAGE = 0.95
# Its pixels must look like the page pdfium draws (mean grey difference at a glance): an
# inverted or masked bitmap is rendered instead.
_CHECK_SCALE, _MAX_GREY_DIFFERENCE = 0.5, 24.0
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
        number = index + 1
        try:
            if self._pdfium is None:
                self._pdfium = pdfium.PdfDocument(str(self._path))
            page = self._pdfium[index]
        except (pdfium.PdfiumError, ValueError, OSError, IndexError) as exc:
            return FailedPage(number, f"the page could not be read ({type(exc).__name__})")
        try:
            try:
                text_page = _text_layer_page(page, number)
            except Exception:  # a broken content stream only means: render it
                text_page = None
            if text_page is not None:
                return text_page
            return _page_bitmap(page, number, self._limits) or self._render(page, number)
        finally:
            page.close()

    def _render(self, page: Any, number: int) -> SourcePage:
        try:
            width_pt, height_pt = page.get_size()
            dpi = _render_dpi(width_pt, height_pt, self._limits.max_image_pixels)
            if dpi < MIN_RENDER_DPI:
                return FailedPage(number, "the page is too large to render within the pixel limit")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            return RasterPage(number=number, image=bitmap.to_pil().convert("L"), dpi=dpi)
        except (pdfium.PdfiumError, ValueError, OSError) as exc:
            return FailedPage(number, f"the page could not be rendered ({type(exc).__name__})")


def _page_bitmap(page: Any, number: int, limits: IngestLimits) -> RasterPage | None:
    """The page's one bitmap at its own resolution, when the page is exactly that and it is
    under 300 dpi; None means: render the page.

    Rendering a 204×98 dpi fax at 300 dpi resamples every pixel twice over and smears strokes
    one pixel wide; read this way, a fax PDF gives the pixels a fax TIFF gives (fax F1 on the
    eval's 43 fax PDFs 0.782 → 0.799; on its 25 legible fine-mode ones 0.943 → 0.965)."""
    try:
        if page.get_rotation():
            return None
        objects = list(page.get_objects(max_depth=1))
        if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return None
        bitmap = objects[0]
        a, b, c, d, _, _ = bitmap.get_matrix().get()
        width_pt, height_pt = page.get_size()
        if b or c or a < _FILLS_PAGE * width_pt or d < _FILLS_PAGE * height_pt:
            return None  # turned, mirrored or not filling the page
        px_width, px_height = bitmap.get_px_size()
        xdpi, ydpi = px_width * 72 / a, px_height * 72 / d
        if max(xdpi, ydpi) >= OCR_DPI * 0.98 or min(xdpi, ydpi) < MIN_RENDER_DPI / 2:
            return None
        check_pixels(px_width, px_height, limits.max_image_pixels)
        pixels = bitmap.get_bitmap(render=False).to_pil().convert("L")
        if not _looks_like_rendering(page, pixels):
            return None
        squared, dpi = square_pixels(pixels, xdpi, ydpi)
        check_pixels(squared.width, squared.height, limits.max_image_pixels)
        return RasterPage(number=number, image=squared, dpi=dpi)
    except (pdfium.PdfiumError, PayloadTooLarge, ValueError, OSError):
        return None


def _looks_like_rendering(page: Any, pixels: Image.Image) -> bool:
    """Do the bitmap's raw pixels show what pdfium draws for the page (not inverted by a
    decode array, not a stencil mask)?"""
    drawn = page.render(scale=_CHECK_SCALE, grayscale=True).to_pil().convert("L")
    raw = pixels.resize(drawn.size, Image.Resampling.BOX)
    difference = np.abs(np.asarray(raw, dtype=np.int16) - np.asarray(drawn, dtype=np.int16))
    return float(difference.mean()) <= _MAX_GREY_DIFFERENCE


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


def _text_layer_page(page: Any, number: int) -> TextPage | None:
    """The page's words from its text layer, or None when the layer is missing or unusable."""
    if page.get_rotation() % 360 != 0:
        return None  # pdfium applies the rotation when rendering; OCR the upright image instead
    left, bottom, right, top = page.get_mediabox()
    scale = OCR_DPI / 72
    width, height = round((right - left) * scale), round((top - bottom) * scale)
    textpage = page.get_textpage()
    try:
        runs = _visible_runs(page.raw, textpage.raw)
    finally:
        textpage.close()
    if sum(map(str.isalnum, "".join(run.text for run in runs))) < MIN_TEXT_LAYER_CHARS:
        return None
    lines = _line_numbers([run.baseline for run in runs])
    words = []
    for run, line in zip(runs, lines, strict=True):
        bbox = BoundingBox(
            x0=max(0.0, (run.x0 - left) * scale),
            y0=max(0.0, (top - run.baseline - _ASCENT * run.size) * scale),
            x1=min(float(width), (run.x1 - left) * scale),
            y1=min(float(height), (top - run.baseline + _DESCENT * run.size) * scale),
            page_width=width,
            page_height=height,
        )
        words.append(OcrWord(text=run.text, bbox=bbox, confidence=100.0, line=line, block=0))
    return TextPage(number=number, words=tuple(words), width=width, height=height, dpi=OCR_DPI)


@dataclass(frozen=True)
class _Run:
    """One word of the text layer in PDF points: from its first glyph's origin to the end of
    its last glyph's advance, on one baseline, at one (matrix-scaled) font size."""

    text: str
    x0: float
    x1: float
    baseline: float
    size: float


# Bullets and other control glyphs are not words (the text layer reader before pdfium got
# them as control characters; pdfium decodes the bullet itself).
_WORD = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u2022]+")


def _visible_runs(page: Any, textpage: Any) -> list[_Run]:
    """The words a person sees, in the order the content stream paints them.

    pdfium's text page strings the glyphs (inferring the spaces between runs); pdfium strings
    a line's runs left to right, so words are put back in paint order, as the pypdf reader
    before it gave them. Positions cost a few C calls per word, none per glyph.
    """
    count = pdfium_c.FPDFText_CountChars(textpage)
    paint = _Paint(page)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    found: list[tuple[int, int, _Run]] = []
    for match in _WORD.finditer(_page_text(textpage, count)):
        start, end = match.span()
        item = ctypes.cast(pdfium_c.FPDFText_GetTextObject(textpage, start), ctypes.c_void_p)
        pdfium_c.FPDFText_GetCharOrigin(textpage, start, origin_x, origin_y)
        order = paint.visible_order(item.value, origin_x.value, origin_y.value)
        if order is None:
            continue
        x0, baseline = origin_x.value, origin_y.value
        x1 = _word_end(textpage, end, count, baseline, box, origin_x, origin_y)
        pdfium_c.FPDFText_GetMatrix(textpage, start, matrix)
        size = pdfium_c.FPDFText_GetFontSize(textpage, start) * math.hypot(matrix.c, matrix.d)
        x0, x1 = sorted((x0, x1))
        found.append((order, start, _Run(match.group(), x0, x1, baseline, size or 10.0)))
    found.sort(key=lambda entry: entry[:2])
    return [run for _, _, run in found]


def _word_end(
    textpage: Any, end: int, count: int, baseline: float, box: Any, x: Any, y: Any
) -> float:
    """Where the word's last glyph's advance ends: where the space after it starts, when
    that space is printed (pdfium places the spaces it infers itself without the matrix's
    scale), else the right edge of the glyph's loose box (its advance, or its outline where
    that reaches further, as with "€")."""
    if (
        end < count
        and not pdfium_c.FPDFText_IsGenerated(textpage, end)
        and pdfium_c.FPDFText_GetCharOrigin(textpage, end, x, y)
        and abs(y.value - baseline) < 0.01
    ):
        return float(x.value)
    pdfium_c.FPDFText_GetLooseCharBox(textpage, end - 1, box)
    return float(box.right)


def _page_text(textpage: Any, count: int) -> str:
    """The page's characters, one per pdfium char index (so match offsets are char indices)."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    text = bytes(buffer)[: max(0, written - 1) * 2].decode("utf-16-le", errors="replace")
    if len(text) == count:
        return text
    # pdfium left chars out of (or put chars into) its text view: ask char by char instead.
    return "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 32) for i in range(count))


Rect = tuple[float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_INVISIBLE_MODES = (pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP)


@dataclass(frozen=True)
class _TextObject:
    order: int  # among the page's text objects, in paint order
    hidden: bool  # render mode 3 or 7, or a fully transparent fill
    light: bool  # white or nearly: on paper only where a dark fill lies under it


class _Paint:
    """What is on paper: text objects in paint order, and the dark fills under them.

    White text is only visible over something dark (a section bar, a logo); white on
    white, or render mode 3, is text a person cannot see, and it must not become evidence
    (nor instructions to anyone). A fill painted after the text covers it rather than
    lighting it up, so only fills painted before a text object count for it.
    """

    def __init__(self, page: Any) -> None:
        self.texts: dict[int | None, _TextObject] = {}
        self.dark: list[tuple[int, Rect]] = []  # (text objects painted before it, box)
        self._walk(page, None, _IDENTITY)

    def visible_order(self, key: int | None, x: float, y: float) -> int | None:
        """The paint order of a word's text object when the word at (x, y) is on paper."""
        text = self.texts.get(key)
        if text is None:  # not a page object pdfium lists: judge it as ordinary ink
            return len(self.texts)
        if text.hidden:
            return None
        if text.light and not any(
            before <= text.order and x0 <= x <= x1 and y0 <= y <= y1
            for before, (x0, y0, x1, y1) in self.dark
        ):
            return None
        return text.order

    def _walk(self, page: Any, form: Any, matrix: Matrix) -> None:
        if form:
            count, get = pdfium_c.FPDFFormObj_CountObjects(form), pdfium_c.FPDFFormObj_GetObject
        else:
            count, get = pdfium_c.FPDFPage_CountObjects(page), pdfium_c.FPDFPage_GetObject
        for index in range(max(0, count)):
            item = get(form or page, index)
            kind = pdfium_c.FPDFPageObj_GetType(item)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                key = ctypes.cast(item, ctypes.c_void_p).value
                self.texts[key] = _text_object(item, len(self.texts))
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH and _filled(item):
                lightness, alpha = _fill(item)
                if alpha > 0 and lightness <= 0.5:
                    self.dark.append((len(self.texts), _bounds(item, matrix)))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                own = pdfium_c.FS_MATRIX()
                pdfium_c.FPDFPageObj_GetMatrix(item, own)
                inner = (own.a, own.b, own.c, own.d, own.e, own.f)
                self._walk(page, item, _multiply(inner, matrix))


def _text_object(item: Any, order: int) -> _TextObject:
    lightness, alpha = _fill(item)
    hidden = pdfium_c.FPDFTextObj_GetTextRenderMode(item) in _INVISIBLE_MODES
    return _TextObject(order, hidden or alpha == 0, lightness >= 0.9)


def _fill(item: Any) -> tuple[float, int]:
    """Lightness of an object's fill colour (0 black, 1 white) and its alpha (0-255)."""
    red, green, blue, alpha = (ctypes.c_uint() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetFillColor(item, red, green, blue, alpha):
        return 0.0, 255
    return (red.value + green.value + blue.value) / 765, alpha.value


def _filled(path: Any) -> bool:
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    return bool(pdfium_c.FPDFPath_GetDrawMode(path, mode, stroke)) and mode.value != 0


def _bounds(item: Any, matrix: Matrix) -> Rect:
    """Page-space box of an object (inside a form XObject its bounds are in form space)."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(item, left, bottom, right, top)
    corners = [(x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)]
    points = [
        (cx * matrix[0] + cy * matrix[2] + matrix[4], cx * matrix[1] + cy * matrix[3] + matrix[5])
        for cx, cy in corners
    ]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


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
