"""Case bundles: each scenario puts in the paper exactly what it promises, and nothing else."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from caredesk.domain.errors import InputRejected
from caredesk.synthetic import SCENARIOS, CaseBundle, generate_case_bundle


def paper_text(bundle: CaseBundle) -> str:
    text: list[str] = []
    for document in bundle.documents:
        pages = PdfReader(io.BytesIO(document.content)).pages
        text.extend(page.extract_text() for page in pages)
    return re.sub(r"\s+", " ", " ".join(text))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_and_scenario_give_the_same_bundle(scenario: str) -> None:
    first, second = generate_case_bundle(11, scenario), generate_case_bundle(11, scenario)
    assert [doc.content for doc in first.documents] == [doc.content for doc in second.documents]
    assert first.summary() == second.summary()


def test_complete_bundle_prints_every_piece_of_evidence() -> None:
    bundle = generate_case_bundle(3, "complete", service="mri-lumbar")
    assert bundle.evidence_missing == ()
    assert bundle.evidence_present == ("conservative-therapy", "neurological-deficit",
                                       "prior-imaging")  # fmt: skip
    text = paper_text(bundle)
    assert "physical therapy" in text and "NSAIDs" in text and "neurological deficit" in text
    assert [doc.role for doc in bundle.documents] == ["referral", "clinical_note"]


def test_missing_bundle_leaves_the_named_evidence_out_of_every_paper() -> None:
    bundle = generate_case_bundle(3, "missing", missing=["conservative-therapy"])
    assert bundle.evidence_missing == ("conservative-therapy",)
    assert "conservative-therapy" not in bundle.evidence_present
    text = paper_text(bundle).lower()
    for keyword in bundle.evidence_keywords["conservative-therapy"]:
        if keyword != "weeks":
            assert keyword.lower() not in text
    for document in bundle.documents:
        assert "conservative therapy" not in document.truth["fields"]["clinical_reason"]


def test_injected_instruction_is_in_the_visible_reason_or_hidden_white_text() -> None:
    visible = generate_case_bundle(4, "injected", hidden_injection=False)
    assert visible.injected_text in visible.documents[0].truth["fields"]["clinical_reason"]
    assert visible.injected_text in paper_text(visible)
    assert visible.evidence_missing
    hidden = generate_case_bundle(4, "injected", hidden_injection=True)
    note = hidden.documents[-1]
    assert note.truth["hidden_text"] == [hidden.injected_text]
    assert hidden.injected_text not in note.truth["fields"]["clinical_reason"]
    assert hidden.injected_text in paper_text(hidden)


@pytest.mark.parametrize("field", ["date_of_birth", "member_id"])
def test_conflicting_bundle_has_two_papers_that_disagree(field: str) -> None:
    bundle = generate_case_bundle(5, "conflicting", conflict_field=field)
    assert bundle.conflict is not None and bundle.conflict["field"] == field
    by_file = {doc.file_name: doc for doc in bundle.documents}
    first, second = (by_file[name] for name in bundle.conflict["documents"])
    values = [first.truth["fields"][field], second.truth["fields"][field]]
    assert values[0] != values[1]
    assert sorted(values) == sorted(bundle.conflict["values"])


def test_bundle_writes_papers_truth_and_summary(tmp_path: Path) -> None:
    bundle = generate_case_bundle(6, "complete", out_dir=tmp_path, variant="fax")
    summary = json.loads((tmp_path / "bundle.json").read_text())
    assert summary["scenario"] == "complete"
    for entry in summary["documents"]:
        assert (tmp_path / entry["file"]).read_bytes()[:2] == b"II"
        assert json.loads((tmp_path / entry["truth"]).read_text())["variant"] == "fax"
    assert len(summary["documents"]) == len(bundle.documents)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(InputRejected):
        generate_case_bundle(1, "sideways")
    with pytest.raises(InputRejected):
        generate_case_bundle(1, "missing", service="cpap", missing=["family-history"])
    with pytest.raises(InputRejected):
        generate_case_bundle(1, "missing", service="no-such-service")
