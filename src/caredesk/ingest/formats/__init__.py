"""Open a document by what its bytes are (magic numbers), never by its file name."""

from __future__ import annotations

from pathlib import Path

from caredesk.domain.errors import InputRejected, PayloadTooLarge, UnsupportedMediaType
from caredesk.ingest.formats.base import (
    FailedPage,
    FormatReader,
    MediaType,
    RasterPage,
    SourcePage,
    TextPage,
)
from caredesk.ingest.limits import IngestLimits

_MAGIC: tuple[tuple[bytes, MediaType], ...] = (
    (b"\x89PNG\r\n\x1a\n", MediaType.PNG),
    (b"\xff\xd8\xff", MediaType.JPEG),
    (b"II*\x00", MediaType.TIFF),
    (b"MM\x00*", MediaType.TIFF),
    (b"II+\x00", MediaType.TIFF),
    (b"MM\x00+", MediaType.TIFF),
)


# Archives may hold a PDF near their start; the PDF header search must not look inside them.
_CONTAINERS = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")


def sniff_media_type(head: bytes) -> MediaType:
    """The media type the first bytes announce; PDF may start after a little junk."""
    if not head:
        raise InputRejected("the file is empty (0 bytes)")
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(_CONTAINERS):
        raise UnsupportedMediaType("unsupported file type: an archive, not a document")
    if b"%PDF-" in head[:1024]:
        return MediaType.PDF
    raise UnsupportedMediaType("unsupported file type: the bytes are not a PDF, TIFF, PNG or JPEG")


def open_document(path: Path, limits: IngestLimits) -> FormatReader:
    """Check size and type, then open the format's reader; raises InputRejected families."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"the file is too large: {size / 1048576:.1f} MB, over the upload limit of "
            f"{limits.max_bytes / 1048576:.0f} MB",
            size=size,
            limit=limits.max_bytes,
        )
    with path.open("rb") as handle:
        head = handle.read(1024)
    media_type = sniff_media_type(head)
    limits.apply_to_pillow()
    if media_type is MediaType.PDF:
        from caredesk.ingest.formats.pdf import PdfDocumentReader

        return PdfDocumentReader(path, limits)
    if media_type is MediaType.TIFF:
        from caredesk.ingest.formats.tiff import TiffReader

        return TiffReader(path, limits)
    from caredesk.ingest.formats.image import ImageReader

    return ImageReader(path, limits, media_type)


__all__ = [
    "FailedPage",
    "FormatReader",
    "MediaType",
    "RasterPage",
    "SourcePage",
    "TextPage",
    "open_document",
    "sniff_media_type",
]
