"""Scanned pages: deskew, orientation, specks, and partial success when one page fails."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from caredesk.domain.documents import PageResult, PageSource, PageStatus
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.ocr import OcrJob, read_page
from caredesk.ingest.pipeline import read_pages
from caredesk.ingest.preprocess import (
    PreprocessOptions,
    dotted_share,
    estimate_skew,
    find_checkboxes,
    prepare,
    remove_specks,
)
from caredesk.synthetic import raster

from .conftest import WriteFile, draw_form, form_pdf, render


def ink_of(image: Image.Image) -> np.ndarray:
    return (np.asarray(image.convert("L")) < 128).astype(np.uint8)


@pytest.mark.parametrize("angle", [-12.0, -3.0, 2.0, 7.5])
def test_deskew_finds_the_angle_the_page_was_turned(form_image: Image.Image, angle: float) -> None:
    turned = form_image.rotate(angle, fillcolor=255)
    found = estimate_skew(ink_of(turned), max_angle=15)
    assert found == pytest.approx(-angle, abs=0.3)
    prepared = prepare(turned, 300, PreprocessOptions(despeckle=False))
    assert estimate_skew(ink_of(prepared.image), max_angle=15) == pytest.approx(0, abs=0.3)


def test_speck_removal_keeps_letters_and_full_stops() -> None:
    ink = np.zeros((200, 200), dtype=np.uint8)
    ink[10, 10] = ink[50, 120] = 1  # fax noise: single pixels
    ink[100:104, 100:104] = 1  # a full stop: 16 pixels
    ink[150:180, 20:24] = 1  # a stroke
    cleaned = remove_specks(ink, max_area=8)
    assert cleaned[10, 10] == 0 and cleaned[50, 120] == 0
    assert cleaned[101, 101] == 1 and cleaned[160, 21] == 1


def test_speck_removal_copes_with_a_page_of_noise() -> None:
    ink = np.zeros((600, 600), dtype=np.uint8)
    ink[::2, ::2] = 1  # 90,000 separate dots: more blobs than 16-bit labels can number
    ink[100:140, 300:304] = 1  # a stroke
    cleaned = remove_specks(ink, max_area=8)
    assert cleaned[:90].sum() == 0 and cleaned[200:].sum() == 0, "the dots are gone"
    assert cleaned[120, 301] == 1, "the stroke stays"


def test_tesseract_gets_the_same_pixels_in_one_bit(form_image: Image.Image) -> None:
    prepared = prepare(form_image, 300, PreprocessOptions())
    bilevel = prepared.for_tesseract()
    assert bilevel.mode == "1"
    assert np.array_equal(np.asarray(bilevel.convert("L")), np.asarray(prepared.image))


def test_fax_resolution_pages_go_to_tesseract_in_grey(form_image: Image.Image) -> None:
    fax = form_image.resize((form_image.width * 204 // 300, form_image.height * 204 // 300))

    at_fax = prepare(fax, 204, PreprocessOptions())
    at_scan = prepare(form_image, 300, PreprocessOptions())

    assert at_fax.dpi == 204, "a fax page is read at its own resolution"
    assert at_fax.for_tesseract().mode == "L" and not at_fax.bilevel
    assert len(np.unique(np.asarray(at_fax.image))) > 2, "strokes keep their grey edges"
    assert at_scan.for_tesseract().mode == "1", "a 300 dpi page is thresholded"
    assert prepare(fax, 204, PreprocessOptions(grey_below_dpi=0)).for_tesseract().mode == "1"
    assert prepare(fax, 150, PreprocessOptions()).dpi == 200, "low resolutions are upscaled"


def test_each_step_can_be_switched_off(form_image: Image.Image) -> None:
    turned = form_image.rotate(4, fillcolor=255)
    off = PreprocessOptions(
        deskew=False, binarize=False, despeckle=False, leaders=False, smooth=0.0, min_dpi=0
    )
    plain = prepare(turned, 300, off)
    assert plain.skew == 0
    assert np.array_equal(np.asarray(plain.image), np.asarray(turned))
    assert PreprocessOptions().without("deskew").deskew is False
    assert PreprocessOptions().without("upscale").min_dpi == 0
    assert PreprocessOptions().without("smooth").smooth == 0


@pytest.mark.slow
def test_a_page_upside_down_reads_right(write_file: WriteFile, form_image: Image.Image) -> None:
    buffer = io.BytesIO()
    form_image.rotate(180).save(buffer, format="PNG", dpi=(300, 300))
    path = write_file("upside-down.png", buffer.getvalue())
    (page,) = list(read_pages(path, limits=IngestLimits(workers=1), options=PreprocessOptions()))
    assert page.rotation == 180
    assert "QFH123456789" in page.text
    assert page.mean_confidence > 85


def three_pages_with_a_blank_middle() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    draw_form(canvas)
    canvas.showPage()
    canvas.showPage()  # a blank page: nothing to read
    draw_form(canvas, title="PAGE THREE")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.mark.slow
def test_an_unreadable_middle_page_does_not_stop_the_document(write_file: WriteFile) -> None:
    path = write_file("three.pdf", three_pages_with_a_blank_middle())
    seen: list[PageResult] = []
    pages = list(read_pages(path, limits=IngestLimits(workers=2), options=PreprocessOptions()))
    seen.extend(pages)
    assert [p.number for p in seen] == [1, 2, 3]
    assert [p.status for p in seen] == [PageStatus.OK, PageStatus.UNREADABLE, PageStatus.OK]
    assert "blank" in seen[1].reason
    assert "THREE" in seen[2].text


def test_a_page_over_the_time_limit_is_unreadable_and_the_rest_go_on(
    write_file: WriteFile, form_image: Image.Image
) -> None:
    scanned = io.BytesIO()
    form_image.save(scanned, format="TIFF", compression="tiff_lzw", dpi=(300, 300))
    path = write_file("slow.tif", scanned.getvalue())
    limits = IngestLimits(workers=1, ocr_page_timeout_s=0.05)
    (page,) = list(read_pages(path, limits=limits, options=PreprocessOptions()))
    assert page.status is PageStatus.UNREADABLE
    assert "longer than 0.05 s" in page.reason


def test_skipped_pages_are_not_read_again(write_file: WriteFile) -> None:
    from .conftest import form_pdf

    path = write_file("two.pdf", form_pdf(pages=3))
    pages = list(
        read_pages(path, limits=IngestLimits(), options=PreprocessOptions(), skip_pages={1, 3})
    )
    assert [(p.number, p.source) for p in pages] == [(2, PageSource.TEXT_LAYER)]


def test_ticked_and_empty_boxes_are_told_apart() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    canvas.setFont("Helvetica", 10)
    canvas.rect(72, 700, 10, 10)
    canvas.drawCentredString(77, 701.5, "X")
    canvas.drawString(88, 701, "Expedited")
    canvas.rect(180, 700, 10, 10)
    canvas.drawString(196, 701, "Standard")
    canvas.drawString(72, 660, "Member Name " + "." * 40 + " DOE, JANE")
    canvas.showPage()
    canvas.save()
    from .conftest import render

    prepared = prepare(render(buffer.getvalue()), 300, PreprocessOptions())
    boxes = sorted(find_checkboxes(prepared.image, 300), key=lambda b: b.x0)
    assert [b.checked for b in boxes] == [True, False]
    # The dots run from about 140 pt to 250 pt on the baseline at 660 pt (from the bottom).
    top = (792 - 668) * 300 // 72
    dots_region = np.asarray(prepared.image)[top : top + 60, 150 * 300 // 72 : 240 * 300 // 72]
    assert (dots_region < 128).mean() < 0.001, "leader dots are removed before OCR"


def faint_fax(ink: float = 108) -> Image.Image:
    """The test form faxed so pale that the fax's threshold falls below the ink's own grey:
    about a third of each stroke's pixels survive, as scattered dots."""
    page = render(form_pdf(), dpi=204)
    profile = raster.FaxProfile(
        dpi_y=204, ink=ink, paper=200, noise=20, threshold=0.52, speckles=0.001, dropouts=0.0,
        skews=(0.0,), flipped_page=None,
    )  # fmt: skip
    return raster.degrade_page(page, profile, 0, np.random.default_rng(5)).convert("L")


def test_a_faint_fax_has_its_strokes_joined_and_its_specks_dropped() -> None:
    fax = faint_fax()
    dots = int(cv2.connectedComponents(ink_of(fax))[0])
    plain = prepare(fax, 204, PreprocessOptions())
    rebuilt = prepare(fax, 204, PreprocessOptions(), faint=True)
    blobs = int(cv2.connectedComponents(ink_of(rebuilt.image))[0])
    assert blobs < dots / 4, "the dots of each letter join into a few strokes"
    paper = np.s_[1500:2000, :]  # below the form: nothing but specks
    specks = int(ink_of(fax)[paper].sum())
    assert specks > 500
    assert ink_of(rebuilt.image)[paper].sum() < specks / 50, "lone specks are dropped"
    assert ink_of(rebuilt.image).sum() > 1.5 * ink_of(plain.image).sum(), "pale strokes kept"


def test_a_fax_whose_letters_arrived_as_dots_is_told_from_one_that_kept_its_ink() -> None:
    crisp = raster.FaxProfile(
        dpi_y=204, ink=10, paper=245, noise=20, threshold=0.55, speckles=0.001, dropouts=0.02,
        skews=(0.0,), flipped_page=None,
    )  # fmt: skip
    kept = raster.degrade_page(render(form_pdf(), dpi=204), crisp, 0, np.random.default_rng(5))
    assert dotted_share(kept) < 0.15
    assert dotted_share(faint_fax()) > 0.3
    assert dotted_share(Image.new("L", (100, 100), 255)) == 0.0


@pytest.mark.slow
def test_a_faint_fax_is_read_with_its_strokes_rebuilt() -> None:
    fax = faint_fax()
    read = read_page(OcrJob(1, fax, 204, PreprocessOptions(), timeout_s=60))
    once = read_page(OcrJob(1, fax, 204, PreprocessOptions(faint_ink=False), timeout_s=60))
    assert "OUTPATIENT REFERRAL FORM" in read.text and "Lumbar" in read.text
    assert "OUTPATIENT" not in once.text
    assert read.mean_confidence > once.mean_confidence + 15


@pytest.mark.slow
def test_a_fax_in_doubt_is_read_both_ways_and_the_better_reading_kept() -> None:
    fax = faint_fax(ink=100)  # a fifth of its ink in lone dots: maybe faint, maybe specks
    assert 0.15 <= dotted_share(fax) < 0.3
    both = read_page(OcrJob(1, fax, 204, PreprocessOptions(), timeout_s=60))
    once = read_page(OcrJob(1, fax, 204, PreprocessOptions(faint_ink=False), timeout_s=60))
    assert both.mean_confidence > once.mean_confidence + 10
    assert "Testperson" in both.text
