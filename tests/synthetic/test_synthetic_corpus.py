"""The generated corpus: deterministic, truthful to what is printed, valid codes, real fax files."""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from caredesk.domain.codes import (
    is_cpt_format,
    is_hcpcs_level2_format,
    normalize_icd10,
    npi_is_valid,
)
from caredesk.synthetic import FORMATS, LAYOUTS, build_file, generate_corpus, raster, world
from caredesk.synthetic.__main__ import app
from caredesk.synthetic.documents import make_facts, render

SEED = 7
COUNT = 10


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def printed_values(truth: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for printed in truth["printed"].values():
        values.extend(str(value) for value in (printed if isinstance(printed, list) else [printed]))
    return values


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, COUNT, SEED)


@pytest.fixture(scope="module")
def truths(corpus: tuple[Path, list[Path]]) -> list[dict[str, Any]]:
    out, _ = corpus
    return [json.loads(path.read_text()) for path in sorted(out.glob("*.truth.json"))]


@pytest.fixture(scope="module")
def every_layout() -> list[tuple[dict[str, Any], bytes]]:
    """Each of the 18 layouts rendered once as a clean PDF."""
    rendered = []
    for doc_type, layouts in LAYOUTS.items():
        for layout in sorted(layouts):
            rng = Random(f"test:{layout}")
            document = render(rng, layout, doc_type, layout, make_facts(rng, doc_type, layout))
            rendered.append((document.truth("clean", "pdf"), document.pdf))
    return rendered


def test_every_document_has_its_file_truth_and_manifest_line(
    corpus: tuple[Path, list[Path]],
) -> None:
    out, paths = corpus
    assert len(paths) == COUNT
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [line["file"] for line in lines] == [path.name for path in paths]
    for line, path in zip(lines, paths, strict=True):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == line["sha256"]
        truth = json.loads((out / line["truth"]).read_text())
        assert truth["doc_id"] == line["doc_id"] == path.stem
        assert truth["format"] in FORMATS and truth["variant"] in {"clean", "fax"}


def test_small_corpus_covers_every_document_type_and_both_variants(
    truths: list[dict[str, Any]],
) -> None:
    assert {truth["doc_type"] for truth in truths} == set(LAYOUTS)
    assert {truth["variant"] for truth in truths} == {"clean", "fax"}


def test_same_seed_gives_same_bytes_and_another_seed_does_not(
    corpus: tuple[Path, list[Path]],
) -> None:
    _, paths = corpus
    for index in (0, 1, 5):
        again = build_file(index, SEED)
        assert again.content == paths[index].read_bytes()
    assert build_file(0, SEED + 1).content != paths[0].read_bytes()


def test_every_layout_prints_each_truth_value_in_its_text_layer(
    every_layout: list[tuple[dict[str, Any], bytes]],
) -> None:
    assert all(len(layouts) >= 3 for layouts in LAYOUTS.values())
    for truth, pdf in every_layout:
        text = text_of(pdf)
        assert truth["pages"] == len(PdfReader(io.BytesIO(pdf)).pages)
        for value in printed_values(truth):
            assert re.sub(r"\s+", " ", value) in text, (truth["layout"], value)
        for item in truth["line_items"]:
            assert item["code"] in text and item["description"][:20] in text


def test_referral_truth_uses_canonical_values(
    every_layout: list[tuple[dict[str, Any], bytes]],
) -> None:
    for truth, _ in every_layout:
        fields = truth["fields"]
        if truth["doc_type"] not in {"referral", "pa_request"}:
            continue
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["date_of_birth"])
        assert fields["payer"] in {"quillfeather", "tumbleweed", "lanternfish"}
        assert fields["urgency"] in {"standard", "expedited"}
        assert not fields["ordering_provider_name"].startswith("Dr.")
        assert re.fullmatch(r"QFH\d{9}|TWM-\d{8}|LCC\d{10}", fields["member_id"])


def test_every_diagnosis_the_world_uses_is_in_the_icd10cm_table() -> None:
    with warnings.catch_warnings():
        # The library reads its table through a deprecated importlib API.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd

        assert all(icd.is_valid_item(code) for code in world.DIAGNOSES)


def test_npis_pass_the_luhn_check_and_codes_have_valid_formats(
    every_layout: list[tuple[dict[str, Any], bytes]], truths: list[dict[str, Any]]
) -> None:
    for truth in [truth for truth, _ in every_layout] + truths:
        fields = truth["fields"]
        for name in ("ordering_provider_npi", "rendering_provider_npi"):
            if name in fields:
                assert npi_is_valid(fields[name])
        for code in fields.get("diagnosis_codes", []):
            assert normalize_icd10(code) == code and code in world.DIAGNOSES
        for procedure in fields.get("procedure_codes", []):
            code = procedure["code"]
            assert is_cpt_format(code) or is_hcpcs_level2_format(code)
            assert procedure["units"] >= 1


def test_invoice_line_items_sum_to_subtotal_and_total(
    every_layout: list[tuple[dict[str, Any], bytes]],
) -> None:
    invoices = [truth for truth, _ in every_layout if truth["doc_type"] == "invoice"]
    currencies = set()
    for index in range(40):
        truth = build_file(index, 3, fax_share=0.0, formats=("pdf",)).truth
        if truth["doc_type"] == "invoice":
            invoices.append(truth)
    for truth in invoices:
        fields = truth["fields"]
        items = sum(Decimal(item["amount"]) for item in truth["line_items"])
        assert items == Decimal(fields["subtotal"])
        assert Decimal(fields["subtotal"]) + Decimal(fields["tax"]) == Decimal(
            fields["total_amount"]
        )
        assert re.fullmatch(r"\d+\.\d{2}", fields["total_amount"])
        currencies.add(fields["currency"])
    assert {"USD", "EUR"} <= currencies


def test_fax_tiffs_are_group4_at_fax_resolution_with_every_page(
    corpus: tuple[Path, list[Path]], truths: list[dict[str, Any]]
) -> None:
    out, _ = corpus
    tiffs = [truth for truth in truths if truth["format"] == "tiff"]
    assert tiffs
    for truth in tiffs:
        with Image.open(out / f"{truth['doc_id']}.tif") as image:
            assert image.info["compression"] == "group4"
            assert image.mode == "1"
            assert tuple(image.info["dpi"]) in {(204.0, 196.0), (204.0, 98.0)}
            assert getattr(image, "n_frames", 1) == truth["pages"]
            assert tuple(truth["image"]["dpi"]) == tuple(image.info["dpi"])
            if truth["variant"] == "fax":
                assert len(truth["image"]["skew_degrees"]) == truth["pages"]
                assert all(abs(skew) <= 3 for skew in truth["image"]["skew_degrees"])


def test_image_files_hold_first_page_and_truth_says_so(
    corpus: tuple[Path, list[Path]], truths: list[dict[str, Any]]
) -> None:
    _, paths = corpus
    by_id = {path.stem: path for path in paths}
    for truth in truths:
        path = by_id[truth["doc_id"]]
        if truth["format"] in {"png", "jpeg"}:
            with Image.open(path) as image:
                assert image.format == truth["format"].upper()
            assert truth["pages"] == 1
            assert all(page == 1 for page in truth["field_pages"].values())
        if truth["format"] == "scanned_pdf":
            reader = PdfReader(path)
            assert len(reader.pages) == truth["pages"]
            assert not "".join(page.extract_text() for page in reader.pages).strip()


def test_command_line_writes_a_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--out", str(tmp_path), "--count", "2", "--seed", "4",
                                      "--formats", "pdf"])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(line)["format"] for line in lines] == ["pdf", "pdf"]


def test_truth_says_how_much_ink_each_fax_page_kept(truths: list[dict[str, Any]]) -> None:
    faxed = [t for t in truths if t["variant"] == "fax" and t["format"] != "jpeg"]
    assert faxed
    for truth in faxed:
        kept = truth["image"]["ink_kept"]
        assert len(kept) == truth["pages"]
        assert all(0.0 <= share <= 1.0 for share in kept)


def test_ink_kept_falls_when_the_fax_threshold_nears_the_ink() -> None:
    page = Image.new("L", (408, 200), 255)
    page.paste(0, (40, 60, 360, 140))  # a solid block of ink
    sharp = raster.FaxProfile(
        dpi_y=raster.FINE_DPI_Y, ink=10, paper=245, noise=10, threshold=0.55, speckles=0.0,
        dropouts=0.0, skews=(1.5,), flipped_page=0,
    )  # fmt: skip
    # Ink at 118 on paper at 200 with the threshold at 110: most stroke pixels turn white.
    washed = replace(sharp, ink=118, paper=200)
    kept = []
    for profile in (sharp, washed):
        fax = raster.degrade_page(page, profile, 0, np.random.default_rng(3))
        kept.append(raster.ink_kept(page, profile, 0, fax))
    assert kept[0] > 0.95
    assert kept[1] < 0.5
