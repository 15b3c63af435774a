"""Render a stored document's page to an image, and crop an evidence box out of it."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from caredesk.domain.documents import BoundingBox
from caredesk.domain.errors import InputRejected

PDF = "application/pdf"
# A crop gets this share of the page's width as margin so the words around it show too.
_MARGIN = 0.015


def page_count(content: bytes, media_type: str) -> int:
    try:
        if media_type == PDF:
            document = pdfium.PdfDocument(content)
            try:
                return len(document)
            finally:
                document.close()
        with Image.open(io.BytesIO(content)) as image:
            return int(getattr(image, "n_frames", 1))
    except (pdfium.PdfiumError, OSError, ValueError) as exc:
        raise InputRejected(f"the document cannot be opened ({type(exc).__name__})") from None


def render_page(content: bytes, media_type: str, page: int, *, dpi: int = 110) -> Image.Image:
    """Page `page` (1-based) as a greyscale image: PDFs through pdfium at `dpi`, TIFF frames
    and PNG/JPEG through Pillow as stored."""
    try:
        if media_type == PDF:
            return _render_pdf(content, page, dpi)
        return _raster_frame(content, page)
    except (pdfium.PdfiumError, OSError, ValueError, EOFError, IndexError) as exc:
        raise InputRejected(f"page {page} cannot be rendered ({type(exc).__name__})") from None


def _render_pdf(content: bytes, page: int, dpi: int) -> Image.Image:
    document = pdfium.PdfDocument(content)
    try:
        if not 1 <= page <= len(document):
            raise IndexError(page)
        bitmap = document[page - 1].render(scale=dpi / 72, grayscale=True)
        rendered: Image.Image = bitmap.to_pil()
        return rendered.convert("L")
    finally:
        document.close()


def _raster_frame(content: bytes, page: int) -> Image.Image:
    with Image.open(io.BytesIO(content)) as image:
        image.seek(page - 1)
        frame = ImageOps.exif_transpose(image) or image
        return frame.convert("L")


def crop_evidence(image: Image.Image, bbox: BoundingBox) -> Image.Image:
    """The evidence box, scaled from the page's OCR size to this rendering, with a margin."""
    box = bbox.scaled(image.width, image.height) if bbox.page_width else bbox
    margin = image.width * _MARGIN
    left = max(0, int(box.x0 - margin))
    top = max(0, int(box.y0 - margin))
    right = min(image.width, int(box.x1 + margin) + 1)
    bottom = min(image.height, int(box.y1 + margin) + 1)
    if right <= left or bottom <= top:
        raise InputRejected("the evidence box lies outside the page")
    return image.crop((left, top, right, bottom))
