"""Bad input files: each one is on disk and really is as broken as its expectation says."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from caredesk.domain import errors
from caredesk.synthetic import BadInput, generate_bad_inputs


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BadInput]:
    cases = generate_bad_inputs(tmp_path_factory.mktemp("bad"))
    return {case.name: case for case in cases}


def test_at_least_22_distinct_cases_with_known_expectations(
    bad_inputs: dict[str, BadInput],
) -> None:
    assert len(bad_inputs) >= 22
    assert len({case.path for case in bad_inputs.values()}) == len(bad_inputs)
    for case in bad_inputs.values():
        assert case.path.exists()
        assert case.outcome in {"rejected", "needs_attention", "accepted"}
        if case.outcome == "rejected":
            assert issubclass(getattr(errors, case.expected_error), errors.InputRejected)
            assert case.reason_keyword
        else:
            assert case.expected_error == ""


def test_pdf_cases_break_the_way_they_claim(bad_inputs: dict[str, BadInput]) -> None:
    with pytest.raises(PdfReadError):
        PdfReader(bad_inputs["encrypted-pdf"].path).pages[0].extract_text()
    assert len(PdfReader(bad_inputs["encrypted-empty-password"].path).pages) == 1
    assert len(PdfReader(bad_inputs["pdf-600-pages"].path).pages) == 600
    assert len(PdfReader(bad_inputs["zero-page-pdf"].path).pages) == 0
    giant = PdfReader(bad_inputs["giant-page-pdf"].path).pages[0]
    assert float(giant.mediabox.width) == 14400
    assert b"/JavaScript" in bad_inputs["javascript-pdf"].path.read_bytes()
    for name in ("truncated-pdf", "corrupt-pdf", "header-only-pdf"):
        with warnings.catch_warnings(), pytest.raises(PdfReadError):
            warnings.simplefilter("ignore")
            PdfReader(bad_inputs[name].path, strict=True).pages[0].extract_text()


def test_image_cases_break_the_way_they_claim(bad_inputs: dict[str, BadInput]) -> None:
    with Image.open(bad_inputs["tiff-3000-frames"].path) as tiff:
        assert getattr(tiff, "n_frames", 1) == 3000
    assert bad_inputs["png-decompression-bomb"].path.stat().st_size < 10_000
    with pytest.raises(Image.DecompressionBombError):
        Image.open(bad_inputs["png-decompression-bomb"].path)
    with Image.open(bad_inputs["truncated-jpeg"].path) as jpeg, pytest.raises(OSError):
        jpeg.load()
    with Image.open(bad_inputs["png-named-pdf"].path) as disguised:
        assert disguised.format == "PNG"
    with Image.open(bad_inputs["one-pixel-png"].path) as pixel:
        assert pixel.size == (1, 1)


def test_disguised_and_empty_files(bad_inputs: dict[str, BadInput]) -> None:
    assert bad_inputs["empty-file"].path.stat().st_size == 0
    assert bad_inputs["text-named-pdf"].path.read_bytes()[:4] != b"%PDF"
    assert bad_inputs["html-named-png"].path.read_bytes().startswith(b"<!DOCTYPE html>")
    assert bad_inputs["zip-archive"].path.read_bytes()[:2] == b"PK"
    assert bad_inputs["gif-image"].path.read_bytes()[:3] == b"GIF"
    assert bad_inputs["oversize-upload"].path.stat().st_size > 50 * 1024 * 1024


def test_same_bytes_every_time_except_encryption(
    tmp_path: Path, bad_inputs: dict[str, BadInput]
) -> None:
    again = {case.name: case for case in generate_bad_inputs(tmp_path)}
    for name, case in bad_inputs.items():
        if not name.startswith("encrypted"):
            assert again[name].path.read_bytes() == case.path.read_bytes(), name
