"""Page images for people: render a stored page, upright, with evidence boxes drawn on it."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pypdfium2
from PIL import Image, ImageDraw

from caredesk.domain.documents import BoundingBox
from caredesk.domain.errors import InputRejected, NotFound
from caredesk.ingest.formats.base import dpi_of, square_pixels
from caredesk.ingest.preprocess import turn_upright

HIGHLIGHT = (255, 196, 0, 90)
OUTLINE = (200, 60, 0, 255)
MAX_WIDTH = 2400


def _pdf_page(content: bytes, number: int, width: int) -> Image.Image:
    document = pypdfium2.PdfDocument(content)
    try:
        if not 1 <= number <= len(document):
            raise NotFound(f"the document has no page {number}")
        page = document[number - 1]
        scale = width / max(page.get_width(), 1.0)
        rendered: Image.Image = page.render(scale=scale).to_pil()
        return rendered.convert("RGB")
    finally:
        document.close()


def _raster_page(content: bytes, number: int) -> Image.Image:
    with Image.open(io.BytesIO(content)) as image:
        frames = getattr(image, "n_frames", 1)
        if not 1 <= number <= frames:
            raise NotFound(f"the document has no page {number}")
        image.seek(number - 1)
        squared, _ = square_pixels(image.copy(), *dpi_of(image))
    return squared.convert("RGB")


def render_page(
    content: bytes,
    media_type: str,
    number: int,
    *,
    width: int = 1200,
    rotation: int = 0,
    boxes: Sequence[BoundingBox] = (),
) -> bytes:
    """A PNG of page `number`, `width` pixels wide, turned upright the way OCR read it, with
    each box (in OCR page coordinates) highlighted."""
    if not 100 <= width <= MAX_WIDTH:
        raise InputRejected(f"width must be between 100 and {MAX_WIDTH} pixels")
    if media_type == "application/pdf":
        image = _pdf_page(content, number, width)
    else:
        image = _raster_page(content, number)
    image = turn_upright(image, rotation) if rotation else image
    if image.width != width:
        image = image.resize((width, round(image.height * width / image.width)))
    if boxes:
        image = _highlight(image, boxes)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _highlight(image: Image.Image, boxes: Sequence[BoundingBox]) -> Image.Image:
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        shown = box.scaled(image.width, image.height)
        rect = (shown.x0 - 2, shown.y0 - 2, shown.x1 + 2, shown.y1 + 2)
        draw.rectangle(rect, fill=HIGHLIGHT, outline=OUTLINE, width=3)
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
