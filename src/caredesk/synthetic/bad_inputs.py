"""Files ingestion must refuse or flag: encrypted, truncated, disguised, bombs, blank pages.

Each `BadInput` says what a careful ingestion does with it:
- ``rejected``: raise `expected_error` (an `InputRejected` family name) whose reason contains
  `reason_keyword`;
- ``needs_attention``: accept the document but flag it (no text found, an unreadable page);
- ``accepted``: process it normally (content decides the type, not the extension).

This is the only module of the generator that imports pypdf.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from random import Random

from PIL import Image
from pypdf import PdfReader, PdfWriter

from caredesk.synthetic import documents, facts

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class BadInput:
    """One awkward file on disk and what ingestion should make of it."""

    name: str
    path: Path
    expected_error: str
    reason_keywords: tuple[str, ...]
    outcome: str
    description: str

    @property
    def reason_keyword(self) -> str:
        """The main word the rejection reason or attention note should contain."""
        return self.reason_keywords[0] if self.reason_keywords else ""


# --- byte builders -----------------------------------------------------------------------
def raw_pdf(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref,
    )
    return bytes(out)


def blank_pages_pdf(
    count: int, *, media_box: bytes = b"[0 0 612 792]", catalog_extra: bytes = b""
) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + index) for index in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox " + media_box + b" >>"] * count
    return raw_pdf(objects)


def missing_object_pdf() -> bytes:
    """Two pages; the second is object 9, which the file never defines."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 8 0 R >>",
        ]
    )


def javascript_pdf() -> bytes:
    action = b"/OpenAction << /S /JavaScript /JS (app.alert\\('Hello'\\);) >>"
    return blank_pages_pdf(1, catalog_extra=action)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side: int = 50_000) -> bytes:
    """A PNG whose header claims side×side pixels; the body holds only a few rows."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    rows = (b"\x00" + b"\x00" * (side // 8)) * 64
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 9))
        + _png_chunk(b"IEND", b"")
    )


def many_frame_tiff(frames: int = 3000, side: int = 8) -> bytes:
    """A TIFF with `frames` tiny uncompressed pages sharing one strip; written by hand for speed."""
    entry_count = 10
    ifd_size = 2 + entry_count * 12 + 4
    strip_at, rational_at, first_ifd = 8, 8 + side, 8 + side + 8
    out = bytearray(struct.pack("<2sHI", b"II", 42, first_ifd))
    out += b"\x00" * side + struct.pack("<II", 204, 1)
    for index in range(frames):
        next_ifd = first_ifd + (index + 1) * ifd_size if index + 1 < frames else 0
        entries = [
            (256, 3, 1, side),
            (257, 3, 1, side),
            (258, 3, 1, 1),
            (259, 3, 1, 1),
            (262, 3, 1, 0),
            (273, 4, 1, strip_at),
            (278, 3, 1, side),
            (279, 4, 1, side),
            (282, 5, 1, rational_at),
            (283, 5, 1, rational_at),
        ]
        out += struct.pack("<H", entry_count)
        out += b"".join(struct.pack("<HHII", *entry) for entry in entries)
        out += struct.pack("<I", next_ifd)
    return bytes(out)


def _image_bytes(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _sample_pdf(seed: int) -> bytes:
    rng = Random(f"caredesk-bad-input:{seed}")
    episode = facts.make_episode(rng)
    return documents.render(rng, "bad-sample", "referral", "referral-a", episode).pdf


def _encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=user_password,
        owner_password="caredesk-owner",  # noqa: S106 - a fixture's lock, not a secret
        algorithm="RC4-128",
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _page_image(pdf: bytes) -> Image.Image:
    from caredesk.synthetic import raster

    return raster.render_pages(pdf, 100, max_pages=1)[0]


def _three_page_tiff(page: Image.Image) -> bytes:
    bilevel = page.convert("1")
    return _image_bytes(
        bilevel,
        "TIFF",
        compression="group4",
        save_all=True,
        append_images=[bilevel, bilevel],
        dpi=(100, 100),
    )


@dataclass(frozen=True)
class _Spec:
    name: str
    file_name: str
    build: Callable[[bytes, Image.Image], bytes]
    expected_error: str
    reason_keywords: tuple[str, ...]
    outcome: str
    description: str


REJECT, FLAG, ACCEPT = "rejected", "needs_attention", "accepted"
# Any of these words in the reason is fine: a library cannot always tell truncated from corrupt.
DAMAGED = ("corrupt", "truncated", "damaged", "unreadable")
UNKNOWN_TYPE = ("unsupported", "not a supported", "unknown type")
NO_TEXT = ("no text", "blank", "empty page")
UNSUPPORTED, REJECTED, TOO_LARGE = "UnsupportedMediaType", "InputRejected", "PayloadTooLarge"

# fmt: off
SPECS: tuple[_Spec, ...] = (
    _Spec("encrypted-pdf", "encrypted.pdf", lambda pdf, _: _encrypted(pdf, "s3cret"),
          REJECTED, ("encrypted", "password"), REJECT,
          "PDF encrypted with a user password we do not have."),
    _Spec("encrypted-empty-password", "owner-locked.pdf", lambda pdf, _: _encrypted(pdf, ""),
          "", (), ACCEPT,
          "Encrypted with an owner password only; opens with the empty password."),
    _Spec("truncated-pdf", "truncated.pdf", lambda pdf, _: pdf[: len(pdf) * 2 // 5],
          REJECTED, DAMAGED, REJECT, "A PDF cut off at 40%: no xref, no trailer."),
    _Spec("corrupt-pdf", "corrupt.pdf", lambda _, __: b"%PDF-1.7\n" + Random(3).randbytes(4096),
          REJECTED, DAMAGED, REJECT, "A PDF header followed by random bytes."),
    _Spec("header-only-pdf", "header-only.pdf", lambda _, __: b"%PDF-1.4\n%%EOF\n",
          REJECTED, DAMAGED, REJECT, "Nothing but a PDF header and an end marker."),
    _Spec("png-named-pdf", "really-a-png.pdf", lambda _, page: _image_bytes(page, "PNG"),
          "", ("png",), ACCEPT,
          "A PNG page saved with a .pdf extension: the content decides the type."),
    _Spec("empty-file", "empty.pdf", lambda _, __: b"",
          REJECTED, ("empty",), REJECT, "Zero bytes."),
    _Spec("tiff-3000-frames", "many-frames.tif", lambda _, __: many_frame_tiff(3000),
          TOO_LARGE, ("pages",), REJECT, "A TIFF with 3000 tiny frames, over the page limit."),
    _Spec("png-decompression-bomb", "bomb.png", lambda _, __: png_bomb(50_000),
          TOO_LARGE, ("pixels", "too large"), REJECT,
          "A small PNG whose header claims 50000 x 50000 pixels."),
    _Spec("truncated-tiff", "truncated.tif", lambda _, page: _three_page_tiff(page)[:600],
          REJECTED, DAMAGED, REJECT, "A three-page G4 TIFF cut off after 600 bytes."),
    _Spec("truncated-jpeg", "truncated.jpg",
          lambda _, page: _image_bytes(page, "JPEG", quality=80)[:3000],
          REJECTED, DAMAGED, REJECT, "A JPEG cut off mid-stream."),
    _Spec("text-named-pdf", "notes.pdf", lambda _, __: b"Call the patient back about the MRI.\n",
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "Plain text with a .pdf extension."),
    _Spec("html-named-png", "scan.png",
          lambda _, __: b"<!DOCTYPE html><html><body><h1>Referral</h1></body></html>\n",
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "An HTML page with a .png extension."),
    _Spec("zero-page-pdf", "no-pages.pdf", lambda _, __: blank_pages_pdf(0),
          REJECTED, ("no pages", "0 pages"), REJECT, "A well-formed PDF whose page tree is empty."),
    _Spec("missing-object-pdf", "missing-page.pdf", lambda _, __: missing_object_pdf(),
          "", ("unreadable",), FLAG,
          "Page 2 and page 1's contents point at objects the file never defines: keep what "
          "reads and mark the rest unreadable (rejecting it as corrupt is also acceptable)."),
    _Spec("zip-archive", "records.zip", lambda pdf, _: _zip(pdf),
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "A zip archive holding a PDF."),
    _Spec("gif-image", "page.gif", lambda _, page: _image_bytes(page, "GIF"),
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "A GIF, not a format caredesk reads."),
    _Spec("bmp-image", "page.bmp", lambda _, __: _image_bytes(Image.new("L", (64, 64), 255), "BMP"),
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "A BMP, not a format caredesk reads."),
    _Spec("svg-image", "logo.svg", lambda _, __: _svg(),
          UNSUPPORTED, UNKNOWN_TYPE, REJECT, "An SVG drawing with text in it."),
    _Spec("pdf-600-pages", "six-hundred-pages.pdf", lambda _, __: blank_pages_pdf(600),
          TOO_LARGE, ("pages",), REJECT, "600 blank pages, over the 500-page limit."),
    _Spec("giant-page-pdf", "giant-page.pdf",
          lambda _, __: blank_pages_pdf(1, media_box=b"[0 0 14400 14400]"),
          TOO_LARGE, ("pixels", "too large"), REJECT,
          "One 200 x 200 inch page: rendering it would need billions of pixels."),
    _Spec("one-pixel-png", "pixel.png",
          lambda _, __: _image_bytes(Image.new("L", (1, 1), 255), "PNG"),
          "", NO_TEXT, FLAG, "A 1 x 1 pixel image."),
    _Spec("blank-page-pdf", "blank.pdf", lambda _, __: blank_pages_pdf(1),
          "", NO_TEXT, FLAG, "One white page with no text layer and nothing to OCR."),
    _Spec("black-page-png", "black.png",
          lambda _, __: _image_bytes(Image.new("1", (1700, 2200), 0), "PNG"),
          "", NO_TEXT, FLAG, "An all-black scanned page."),
    _Spec("javascript-pdf", "script.pdf", lambda _, __: javascript_pdf(),
          REJECTED, ("javascript", "active content"), REJECT,
          "A blank page whose only content is an OpenAction JavaScript."),
    _Spec("png-bad-crc", "bad-crc.png", lambda _, page: _break_crc(_image_bytes(page, "PNG")),
          REJECTED, DAMAGED, REJECT, "A PNG whose first chunk checksum is wrong."),
)
# fmt: on


def _zip(pdf: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("referral.pdf", date_time=(2026, 3, 4, 10, 22, 0)), pdf)
    return buffer.getvalue()


def _svg() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="612" height="792">'
        b'<text x="40" y="60">Referral for Marigold Testwell</text></svg>\n'
    )


def _break_crc(png: bytes) -> bytes:
    # The IHDR checksum sits at bytes 29-32 of every PNG.
    return png[:29] + bytes(value ^ 0xFF for value in png[29:33]) + png[33:]


def _oversize(out_dir: Path, max_upload_mb: int) -> BadInput:
    path = out_dir / "oversize.pdf"
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        # Seeking past the end leaves a sparse file: big to a size check, cheap on disk.
        handle.truncate((max_upload_mb + 1) * MEGABYTE)
    return BadInput(
        "oversize-upload",
        path,
        TOO_LARGE,
        ("size", "too large", "MB"),
        REJECT,
        f"A {max_upload_mb + 1} MB file, over the upload limit.",
    )


def generate_bad_inputs(out_dir: Path, *, max_upload_mb: int = 50) -> list[BadInput]:
    """Write every awkward file into `out_dir` and say what ingestion should do with each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = _sample_pdf(1)
    page = _page_image(pdf)
    cases = []
    for spec in SPECS:
        path = out_dir / spec.file_name
        path.write_bytes(spec.build(pdf, page))
        cases.append(
            BadInput(
                spec.name,
                path,
                spec.expected_error,
                spec.reason_keywords,
                spec.outcome,
                spec.description,
            )
        )
    cases.append(_oversize(out_dir, max_upload_mb))
    return cases
