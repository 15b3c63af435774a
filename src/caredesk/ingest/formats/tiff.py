"""Multi-page TIFF, fax encodings (CCITT G3/G4) included; non-square fax pixels made square."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from caredesk.domain.errors import InputRejected, PayloadTooLarge
from caredesk.ingest.formats.base import (
    FailedPage,
    MediaType,
    RasterPage,
    SourcePage,
    check_pixels,
    dpi_of,
    square_pixels,
    to_grey,
)
from caredesk.ingest.limits import IngestLimits


class TiffReader:
    """Reads TIFF frames one at a time; a frame that fails to decode is one unreadable page."""

    media_type = MediaType.TIFF

    def __init__(self, path: Path, limits: IngestLimits) -> None:
        self._limits = limits
        try:
            self._image = Image.open(path)
            self._count = _count_frames(self._image, limits.max_pages)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise InputRejected(
                f"the TIFF is damaged and cannot be read ({type(exc).__name__})"
            ) from exc

    @property
    def page_count(self) -> int:
        return self._count

    def pages(self, skip: frozenset[int] = frozenset()) -> Iterator[SourcePage]:
        for index in range(self._count):
            if index + 1 not in skip:
                yield self._read_frame(index)

    def close(self) -> None:
        self._image.close()

    def _read_frame(self, index: int) -> SourcePage:
        number = index + 1
        try:
            self._image.seek(index)
            check_pixels(self._image.width, self._image.height, self._limits.max_image_pixels)
            frame = self._image.copy()
        except PayloadTooLarge as exc:
            if self._count == 1:
                raise
            return FailedPage(number, exc.reason)
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
            reason = f"the page image is damaged and could not be decoded ({type(exc).__name__})"
            if index == 0:
                # Nothing before the first frame decoded: the file itself is damaged.
                raise InputRejected(
                    f"the TIFF is damaged (truncated or corrupt): {reason}"
                ) from exc
            return FailedPage(number, reason)
        xdpi, ydpi = dpi_of(self._image)
        squared, dpi = square_pixels(frame, xdpi, ydpi)
        return RasterPage(number=number, image=to_grey(squared), dpi=dpi)


def _count_frames(image: Image.Image, max_pages: int) -> int:
    """Walk the frame chain only as far as the page limit, so a 10,000-frame TIFF costs little."""
    count = 1
    while True:
        try:
            image.seek(count)
        except EOFError:
            break
        count += 1
        if count > max_pages:
            raise PayloadTooLarge(
                f"the TIFF has more than {max_pages} pages, over the page limit",
                limit=max_pages,
            )
    image.seek(0)
    return count
