"""Extraction per document type on clean and fax documents, evidence that points at the value."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from caredesk.domain.documents import ExtractionResult
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.pipeline import run_pipeline
from caredesk.ingest.preprocess import PreprocessOptions
from caredesk.synthetic.corpus import build_file

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "extract"
# Index in the corpus cycle → document type: 0 referral, 1 PA request, 2 invoice,
# 3 payer letter, 4 clinical note.
TYPES = {0: "referral", 1: "pa_request", 2: "invoice", 3: "payer_letter", 4: "clinical_note"}


def make(tmp: Path, index: int, *, fax: bool) -> tuple[Path, dict[str, Any]]:
    item = build_file(
        index, 7, fax_share=1.0 if fax else 0.0, formats=("tiff",) if fax else ("pdf",)
    )
    path = tmp / f"{item.doc_id}.{item.extension}"
    path.write_bytes(item.content)
    return path, item.truth


def extract(path: Path) -> ExtractionResult:
    return run_pipeline(
        path, document_id=path.stem, limits=IngestLimits(workers=2), options=PreprocessOptions()
    )


def same(name: str, truth: object, found: object) -> bool:
    text = lambda v: " ".join(str(v).casefold().split())  # noqa: E731
    if name == "procedure_codes" and isinstance(truth, list) and isinstance(found, list):
        return {(r["code"], int(r["units"])) for r in truth} == {
            (r["code"], int(r["units"])) for r in found
        }
    if isinstance(truth, list):
        return isinstance(found, list) and sorted(map(text, truth)) == sorted(map(text, found))
    return text(truth) == text(found)


def wrong_fields(truth: dict[str, Any], result: ExtractionResult) -> list[str]:
    out = []
    for name, expected in truth["fields"].items():
        found = result.fields.get(name)
        if found is None or not same(name, expected, found.normalized):
            out.append(f"{name}: {expected!r} != {found.normalized if found else None!r}")
    return out


def assert_evidence_holds_the_value(result: ExtractionResult) -> None:
    """The words inside each evidence box spell the field's printed value."""
    pages = {page.number: page for page in result.pages}
    for name, field in result.fields.items():
        assert field.evidence is not None, name
        box = field.evidence.bbox
        inside = [w.text for w in pages[field.evidence.page].words if box.contains(w.bbox)]
        squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
        assert squeeze(field.value) in squeeze(" ".join(inside)) or all(
            part in inside for part in field.value.split()
        ), f"{name}: {field.value!r} not inside its box ({inside})"


@pytest.mark.parametrize("index", sorted(TYPES))
def test_clean_documents_are_read_exactly(tmp_path: Path, index: int) -> None:
    path, truth = make(tmp_path, index, fax=False)
    result = extract(path)
    assert result.doc_type.value == TYPES[index]
    assert wrong_fields(truth, result) == []
    assert_evidence_holds_the_value(result)
    high = [f for f in result.fields.values() if f.confidence >= 0.9]
    assert len(high) >= len(result.fields) * 0.8, "a clean text layer should mostly auto-accept"


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 2, 3, 4])
def test_fax_documents_are_mostly_read(tmp_path: Path, index: int) -> None:
    path, truth = make(tmp_path, index, fax=True)
    result = extract(path)
    assert result.doc_type.value == TYPES[index]
    wrong = wrong_fields(truth, result)
    assert len(wrong) <= 0.4 * len(truth["fields"]), wrong
    assert_evidence_holds_the_value(result)


@pytest.mark.parametrize(("index", "name"), [(0, "referral"), (2, "invoice"), (3, "payer-letter")])
def test_extract_json_matches_the_golden_file(tmp_path: Path, index: int, name: str) -> None:
    """The `caredesk extract --json` shape other tools read; UPDATE_GOLDEN=1 rewrites it."""
    path, _ = make(tmp_path, index, fax=False)
    produced = extract(path).extract_json()
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(
            json.dumps(produced, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert produced == expected
    assert set(produced) == {
        "doc_type",
        "doc_type_confidence",
        "pages",
        "fields",
        "line_items",
        "warnings",
    }
