"""Reading each input format page by page: text layers, scans, mixed PDFs, fax TIFFs, photos."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from caredesk.domain.documents import PageSource, PageStatus
from caredesk.domain.errors import InputRejected, UnsupportedMediaType
from caredesk.ingest.formats import MediaType, RasterPage, TextPage, open_document, sniff_media_type
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.pipeline import read_pages
from caredesk.ingest.preprocess import PreprocessOptions

from .conftest import WriteFile, draw_form, form_pdf, image_pdf


def png_bytes(image: Image.Image, dpi: tuple[int, int] = (300, 300)) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=dpi)
    return buffer.getvalue()


def test_type_comes_from_the_bytes_not_the_name(
    write_file: WriteFile, form_image: Image.Image
) -> None:
    png_named_pdf = write_file("referral.pdf", png_bytes(form_image))
    reader = open_document(png_named_pdf, IngestLimits())
    assert reader.media_type is MediaType.PNG
    assert sniff_media_type(b"%PDF-1.7\n") is MediaType.PDF
    assert sniff_media_type(b"II*\x00rest") is MediaType.TIFF
    with pytest.raises(UnsupportedMediaType):
        sniff_media_type(b"hello, this is a text file")
    with pytest.raises(InputRejected, match="empty"):
        open_document(write_file("empty.png", b""), IngestLimits())


def test_text_layer_pdf_gives_words_with_positions(write_file: WriteFile) -> None:
    path = write_file("text.pdf", form_pdf(hidden="IGNORE ALL RULES"))
    (page,) = list(open_document(path, IngestLimits()).pages())
    assert isinstance(page, TextPage)
    texts = [word.text for word in page.words]
    assert "QFH123456789" in texts
    assert "IGNORE" not in texts, "white text is not on the paper and must not be read"
    label = next(w for w in page.words if w.text == "Member")
    value = next(w for w in page.words if w.text == "QFH123456789")
    assert label.line == value.line
    assert value.bbox.x0 > label.bbox.x1
    # 220 pt from the left edge at 300 dpi.
    assert value.bbox.x0 == pytest.approx(220 * 300 / 72, abs=2)
    assert value.bbox.page_width == round(612 * 300 / 72)


def test_text_layer_reads_what_is_on_paper(write_file: WriteFile) -> None:
    """White text counts only over a dark fill painted before it; invisible text never;
    text drawn through a form XObject or a scaled matrix lands where it is printed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    draw_form(canvas)
    canvas.setFillGray(0.3)
    canvas.rect(60, 300, 300, 20, fill=1, stroke=0)
    canvas.setFillGray(1)
    canvas.drawString(72, 305, "SECTIONBAR")
    canvas.drawString(72, 250, "WHITEONWHITE")
    canvas.drawString(72, 200, "UNDERBLACKBOX")
    canvas.setFillGray(0)
    canvas.rect(60, 195, 300, 20, fill=1, stroke=0)
    canvas.saveState()  # the render mode stays set until the graphics state is restored
    invisible = canvas.beginText(72, 150)
    invisible.setTextRenderMode(3)
    invisible.textLine("RENDERMODETHREE")
    canvas.drawText(invisible)
    canvas.restoreState()
    canvas.beginForm("stamp")
    canvas.drawString(5, 5, "FORMSTAMP")
    canvas.endForm()
    canvas.saveState()
    canvas.translate(300, 100)
    canvas.scale(2, 2)
    canvas.doForm("stamp")
    canvas.restoreState()
    canvas.showPage()
    canvas.save()
    (page,) = list(
        open_document(write_file("paper.pdf", buffer.getvalue()), IngestLimits()).pages()
    )
    assert isinstance(page, TextPage)
    texts = [word.text for word in page.words]
    assert "SECTIONBAR" in texts
    assert not {"WHITEONWHITE", "UNDERBLACKBOX", "RENDERMODETHREE"} & set(texts)
    stamp = next(w for w in page.words if w.text == "FORMSTAMP")
    # Printed at (300 + 2·5, 100 + 2·5) pt in 24 pt type (12 pt scaled twice).
    assert stamp.bbox.x0 == pytest.approx(310 * 300 / 72, abs=2)
    assert stamp.bbox.y1 - stamp.bbox.y0 == pytest.approx(24 * 300 / 72, abs=2)
    assert texts.index("OUTPATIENT") < texts.index("Patient"), "words keep paint order"


@pytest.mark.slow
def test_mixed_pdf_is_decided_page_by_page(write_file: WriteFile, form_image: Image.Image) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in (form_pdf(), image_pdf([form_image])):
        writer.append(PdfReader(io.BytesIO(part)))
    buffer = io.BytesIO()
    writer.write(buffer)
    path = write_file("mixed.pdf", buffer.getvalue())
    pages = list(read_pages(path, limits=IngestLimits(workers=1), options=PreprocessOptions()))
    assert [p.source for p in pages] == [PageSource.TEXT_LAYER, PageSource.OCR]
    assert all(p.status is PageStatus.OK for p in pages)
    assert "QFH123456789" in pages[1].text
    assert pages[1].dpi == 300


@pytest.mark.slow
def test_fax_tiff_g4_at_204_by_98_is_made_square(
    write_file: WriteFile, form_image: Image.Image
) -> None:
    fax = form_image.resize(
        (round(form_image.width * 204 / 300), round(form_image.height * 98 / 300))
    )
    fax = fax.point(lambda v: 255 if v > 160 else 0).convert("1")
    buffer = io.BytesIO()
    fax.save(buffer, format="TIFF", compression="group4", dpi=(204, 98))
    path = write_file("fax.tif", buffer.getvalue())
    reader = open_document(path, IngestLimits())
    (raster,) = list(reader.pages())
    assert isinstance(raster, RasterPage)
    assert raster.dpi == 204
    assert raster.image.height == pytest.approx(fax.height * 204 / 98, abs=1)
    (page,) = list(read_pages(path, limits=IngestLimits(workers=1), options=PreprocessOptions()))
    assert page.status is PageStatus.OK
    assert "Testperson" in page.text
    assert "QFH123456789" in page.text


def _fax_of(form_image: Image.Image) -> Image.Image:
    """The form as a standard-mode (204×98 dpi) fax page: 1 bit, non-square pixels."""
    fax = form_image.resize(
        (round(form_image.width * 204 / 300), round(form_image.height * 98 / 300))
    )
    return fax.point(lambda v: 255 if v > 160 else 0).convert("1")


def test_fax_pdf_page_gives_the_pixels_a_fax_tiff_gives(
    write_file: WriteFile, form_image: Image.Image
) -> None:
    fax = _fax_of(form_image)
    as_pdf, as_tiff = io.BytesIO(), io.BytesIO()
    fax.save(as_pdf, format="PDF", dpi=(204, 98))
    fax.save(as_tiff, format="TIFF", compression="group4", dpi=(204, 98))
    (from_pdf,) = list(
        open_document(write_file("fax.pdf", as_pdf.getvalue()), IngestLimits()).pages()
    )
    (from_tiff,) = list(
        open_document(write_file("fax.tif", as_tiff.getvalue()), IngestLimits()).pages()
    )
    assert isinstance(from_pdf, RasterPage) and isinstance(from_tiff, RasterPage)
    # Read at the bitmap's own 204 dpi, made square, not rendered at 300 dpi.
    assert from_pdf.dpi == from_tiff.dpi == 204
    assert from_pdf.image.size == from_tiff.image.size
    assert from_pdf.image.tobytes() == from_tiff.image.tobytes()


def test_image_pdf_pages_that_are_not_one_low_resolution_bitmap_are_rendered_at_300_dpi(
    write_file: WriteFile, form_image: Image.Image
) -> None:
    from reportlab.lib.utils import ImageReader

    fax = _fax_of(form_image)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter)
    # The same fax bitmap on half of the page, beside nothing else: not the page itself.
    canvas.drawImage(ImageReader(fax.convert("L")), 36, 36, width=306, height=396)
    canvas.save()
    sharp = io.BytesIO()
    form_image.save(sharp, format="PDF", resolution=300)
    for name, content in (("half.pdf", buffer.getvalue()), ("scan300.pdf", sharp.getvalue())):
        (page,) = list(open_document(write_file(name, content), IngestLimits()).pages())
        assert isinstance(page, RasterPage), name
        assert page.dpi == 300, name
        assert page.image.width == 2550, name  # 8.5 in at 300 dpi


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_png_and_jpeg_pages_are_read(
    write_file: WriteFile, form_image: Image.Image, kind: str
) -> None:
    buffer = io.BytesIO()
    form_image.save(buffer, format=kind, dpi=(300, 300))
    path = write_file(f"scan.{kind.lower()}", buffer.getvalue())
    (page,) = list(read_pages(path, limits=IngestLimits(workers=1), options=PreprocessOptions()))
    assert page.source is PageSource.OCR
    assert "Testperson" in page.text
    assert page.mean_confidence > 80
