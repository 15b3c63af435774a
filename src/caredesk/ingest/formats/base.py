"""The one protocol every input format implements, and the page shapes formats hand on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PIL import Image

from caredesk.domain.documents import OcrWord
from caredesk.domain.errors import PayloadTooLarge

OCR_DPI = 300


class MediaType(StrEnum):
    """Formats caredesk reads, named by their IANA media type."""

    PDF = "application/pdf"
    TIFF = "image/tiff"
    PNG = "image/png"
    JPEG = "image/jpeg"


@dataclass(frozen=True)
class RasterPage:
    """A page that exists only as pixels and must be OCR'd; pixels are square at `dpi`."""

    number: int
    image: Image.Image
    dpi: int


@dataclass(frozen=True)
class TextPage:
    """A page whose words came from a text layer, boxes already in pixels at `dpi`."""

    number: int
    words: tuple[OcrWord, ...]
    width: int
    height: int
    dpi: int


@dataclass(frozen=True)
class FailedPage:
    """A page the format could not produce (decode error, too large); the rest go on."""

    number: int
    reason: str


SourcePage = RasterPage | TextPage | FailedPage


class FormatReader(Protocol):
    """One open document of one format; pages are produced lazily so memory stays bounded."""

    media_type: MediaType

    @property
    def page_count(self) -> int: ...

    def pages(self, skip: frozenset[int] = frozenset()) -> Iterator[SourcePage]: ...

    def close(self) -> None: ...


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Reject a page image before decoding it when its header already says it is too big."""
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"the page image is too large: {width}×{height} pixels, over the limit of "
            f"{max_pixels} pixels",
            pixels=width * height,
            limit=max_pixels,
        )


def square_pixels(image: Image.Image, xdpi: float, ydpi: float) -> tuple[Image.Image, int]:
    """Fax pages have non-square pixels (204×98, 204×196 dpi); OCR wants square ones."""
    xdpi = xdpi if xdpi > 0 else float(OCR_DPI)
    ydpi = ydpi if ydpi > 0 else xdpi
    if abs(xdpi - ydpi) / xdpi < 0.02:
        return image, round(xdpi)
    target = max(xdpi, ydpi)
    width = round(image.width * target / xdpi)
    height = round(image.height * target / ydpi)
    if image.mode == "1":
        # Resampling bilevel pixels directly gives blocky strokes; grey keeps edges smooth.
        image = image.convert("L")
    return image.resize((width, height), Image.Resampling.BILINEAR), round(target)


def dpi_of(image: Image.Image) -> tuple[float, float]:
    """Horizontal and vertical density as recorded in the file; 0 when it says nothing useful."""
    for key in ("dpi", "resolution"):
        raw = image.info.get(key)
        if isinstance(raw, tuple) and len(raw) == 2:
            try:
                return float(raw[0]), float(raw[1])
            except (TypeError, ValueError):
                continue
    return 0.0, 0.0


def to_grey(image: Image.Image) -> Image.Image:
    """Greyscale on white: transparent pixels would otherwise turn black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image.convert("RGBA"))
        image = background
    return image if image.mode == "L" else image.convert("L")
