"""The in-process tesseract engine: language data discovery, image hand-over, orientation."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.pipeline import run_pipeline
from caredesk.ingest.preprocess import PreprocessOptions, prepare
from caredesk.ingest.tesseract import (
    OcrError,
    find_tessdata,
    missing_language_data,
    read_words,
    tessdata_dir,
    upright_rotation,
)
from caredesk.synthetic.corpus import build_file


def test_language_data_is_found_in_the_first_folder_that_has_english(tmp_path: Path) -> None:
    empty, english, later = tmp_path / "empty", tmp_path / "english", tmp_path / "later"
    for folder in (empty, english, later):
        folder.mkdir()
    (english / "eng.traineddata").write_bytes(b"model")
    (later / "eng.traineddata").write_bytes(b"model")

    assert find_tessdata([empty, english, later]) == english
    assert find_tessdata([empty, tmp_path / "absent"]) is None


def test_missing_language_data_says_which_package_to_install(tmp_path: Path) -> None:
    (tmp_path / "eng.traineddata").write_bytes(b"model")

    assert "tesseract-ocr-eng" in (missing_language_data(None) or "")
    assert "tesseract-ocr-osd" in (missing_language_data(tmp_path) or "")
    (tmp_path / "osd.traineddata").write_bytes(b"model")
    assert missing_language_data(tmp_path) is None


def test_this_machine_has_the_language_data_ocr_needs() -> None:
    assert missing_language_data(tessdata_dir()) is None


def test_one_bit_grey_and_colour_pages_read_the_same_words(form_image: Image.Image) -> None:
    prepared = prepare(form_image, 300, PreprocessOptions())
    bilevel = prepared.for_tesseract()

    texts = [
        [w.text for w in read_words(image, 300, timeout_s=60)]
        for image in (bilevel, bilevel.convert("L"), bilevel.convert("RGB"))
    ]

    assert "REFERRAL" in " ".join(texts[0]).upper()
    assert texts[0] == texts[1] == texts[2]


def test_words_carry_boxes_inside_the_page_and_tesseract_lines(form_image: Image.Image) -> None:
    words = read_words(form_image, 300, timeout_s=60)

    assert words, "the form has text"
    assert all(0 <= w.bbox.x0 < w.bbox.x1 <= form_image.width for w in words)
    assert all(0 <= w.bbox.y0 < w.bbox.y1 <= form_image.height for w in words)
    assert all(0 <= w.confidence <= 100 for w in words)
    assert len({w.line for w in words}) > 3


def test_a_recognition_past_its_deadline_raises_a_clear_error(form_image: Image.Image) -> None:
    with pytest.raises(OcrError, match="longer than"):
        read_words(form_image, 300, timeout_s=0.001)
    # The engine is still usable for the next page.
    assert read_words(form_image, 300, timeout_s=60)


@pytest.mark.parametrize(
    ("turn", "undo"),
    [
        (Image.Transpose.ROTATE_90, 90),
        (Image.Transpose.ROTATE_180, 180),
        (Image.Transpose.ROTATE_270, 270),
    ],
)
def test_orientation_says_how_far_to_turn_a_page_upright(
    form_image: Image.Image, turn: Image.Transpose, undo: int
) -> None:
    prepared = prepare(form_image.transpose(turn), 300, PreprocessOptions())

    assert upright_rotation(prepared.for_tesseract(), prepared.dpi) == undo
    assert upright_rotation(prepare(form_image, 300, PreprocessOptions()).image, 300) == 0


def test_a_letterhead_in_large_type_beside_a_dark_logo_is_read(tmp_path: Path) -> None:
    # A clean 150 dpi invoice whose letterhead name and title tesseract's row-noise filter
    # used to drop, though a person reads them at a glance.
    item = build_file(166, 7, fax_share=0.0, formats=("png",))
    path = tmp_path / f"{item.doc_id}.{item.extension}"
    path.write_bytes(item.content)
    result = run_pipeline(
        path, document_id=item.doc_id, limits=IngestLimits(workers=1), options=PreprocessOptions()
    )
    assert result.fields["vendor_name"].normalized == "Voorbeeld Zorgtechniek B.V."
    assert "Invoice" in {w.text for w in result.pages[0].words[:12]}
