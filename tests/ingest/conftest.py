"""Page images and documents the ingest tests read, rendered here with reportlab and Pillow."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.preprocess import PreprocessOptions

FORM_LINES = (
    ("Patient Name:", "Jane Q. Testperson"),
    ("Date of Birth:", "07/04/1961"),
    ("Member ID:", "QFH123456789"),
    ("Ordering NPI:", "1234567893"),
    ("Diagnosis:", "M54.16 Lumbar radiculopathy"),
)
BODY = (
    "The patient reports persistent low back pain radiating to the left leg for six weeks",
    "despite conservative therapy including physical therapy and anti-inflammatory drugs.",
    "Straight leg raise is positive on the left. Requesting imaging of the lumbar spine.",
)


def draw_form(canvas: Canvas, title: str = "OUTPATIENT REFERRAL FORM") -> None:
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(72, 720, title)
    canvas.setFont("Helvetica", 12)
    y = 680.0
    for label, value in FORM_LINES:
        canvas.drawString(72, y, label)
        canvas.drawString(220, y, value)
        y -= 26
    for line in BODY:
        canvas.drawString(72, y, line)
        y -= 18


def form_pdf(pages: int = 1, *, hidden: str = "") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    for _ in range(pages):
        draw_form(canvas)
        if hidden:
            canvas.setFillGray(1.0)
            canvas.drawString(72, 300, hidden)
            canvas.setFillGray(0)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render(pdf_bytes: bytes, dpi: int = 300, page: int = 0) -> Image.Image:
    document = pdfium.PdfDocument(pdf_bytes)
    image = document[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    document.close()
    return image


def image_pdf(images: list[Image.Image], dpi: int = 300) -> bytes:
    """A scanned PDF: each page only an image, no text layer."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def form_image() -> Image.Image:
    return render(form_pdf())


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ingest")


@pytest.fixture()
def limits() -> IngestLimits:
    return IngestLimits(workers=2, ocr_page_timeout_s=60)


@pytest.fixture()
def options() -> PreprocessOptions:
    return PreprocessOptions()


WriteFile = Callable[[str, bytes], Path]


@pytest.fixture()
def write_file(tmp_path: Path) -> WriteFile:
    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write
