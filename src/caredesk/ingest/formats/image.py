"""Single-page images: PNG and JPEG (phone photos and scanner output)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from caredesk.domain.errors import InputRejected, PayloadTooLarge
from caredesk.ingest.formats.base import (
    OCR_DPI,
    MediaType,
    RasterPage,
    SourcePage,
    check_pixels,
    dpi_of,
    square_pixels,
    to_grey,
)
from caredesk.ingest.limits import IngestLimits


class ImageReader:
    """One page; the header is checked against the pixel limit before any pixel is decoded."""

    def __init__(self, path: Path, limits: IngestLimits, media_type: MediaType) -> None:
        self.media_type = media_type
        self._path = path
        self._limits = limits
        try:
            with Image.open(path) as probe:
                size = probe.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise InputRejected(
                f"the image is damaged and cannot be read ({type(exc).__name__})"
            ) from exc
        except Image.DecompressionBombError as exc:
            raise PayloadTooLarge(
                f"the image is too large: over the limit of {limits.max_image_pixels} pixels"
            ) from exc
        check_pixels(size[0], size[1], limits.max_image_pixels)

    @property
    def page_count(self) -> int:
        return 1

    def pages(self, skip: frozenset[int] = frozenset()) -> Iterator[SourcePage]:
        if 1 not in skip:
            yield self._read()

    def close(self) -> None:
        return None

    def _read(self) -> SourcePage:
        try:
            with Image.open(self._path) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                xdpi, ydpi = dpi_of(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            # A single-image file that does not decode has nothing left to read.
            raise InputRejected(
                f"the image is damaged (truncated or corrupt) and cannot be read "
                f"({type(exc).__name__})"
            ) from exc
        if xdpi < 50:
            xdpi = ydpi = float(OCR_DPI)  # no usable density recorded: assume a 300 dpi scan
        squared, dpi = square_pixels(upright, xdpi, ydpi)
        return RasterPage(number=1, image=to_grey(squared), dpi=dpi)
