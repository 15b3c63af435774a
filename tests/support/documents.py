"""Small real documents for tests: PDFs with a text layer, G4 fax TIFFs, PNGs."""

from __future__ import annotations

import io

from PIL import Image
from reportlab.pdfgen import canvas


def make_pdf(pages: int, label: str = "Referral") -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    for n in range(pages):
        pdf.drawString(72, 720, f"{label} page {n + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_tiff(pages: int) -> bytes:
    frames = [Image.new("1", (1728, 1100), 1) for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="group4",
        dpi=(204, 196),
    )
    return buffer.getvalue()


def make_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, format="PNG")
    return buffer.getvalue()
