"""`caredesk case`: list, show, create from a document, export the packet — as people run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from tests.cases.builders import PATIENT
from tests.cases.conftest import store_referral
from typer.testing import CliRunner

from caredesk.api.resources import Resources
from caredesk.cli import app
from caredesk.settings import Settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def cli(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--data-dir", str(data_dir), *args])


def test_case_commands(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=data_dir, kb_autoload=False, _env_file=None)
    built = Resources.build(settings)
    try:
        referral = store_referral(built, keep_extraction=True)
    finally:
        built.close()
    created = cli(data_dir, "case", "create", "--document", referral.document_id, "--json")
    assert created.exit_code == 0, created.output
    case_id = json.loads(created.stdout)["id"]
    again = cli(data_dir, "case", "create", "--document", referral.document_id)
    assert again.exit_code == 1 and "already opened" in again.output
    listed = json.loads(cli(data_dir, "case", "list", "--json").stdout)
    assert [(row["id"], row["patient"], row["risk"]) for row in listed] == [
        (case_id, PATIENT, "on_track")
    ]
    table = cli(data_dir, "case", "list")
    # The table wraps to the terminal's width; its content is checked through --json above.
    assert table.exit_code == 0 and "status" in table.stdout and "risk" in table.stdout
    shown = json.loads(cli(data_dir, "case", "show", case_id, "--json").stdout)
    assert shown["member_id"]["evidence"]["document_id"] == referral.document_id
    readable = cli(data_dir, "case", "show", case_id)
    assert readable.exit_code == 0 and readable.stdout.startswith(case_id)
    pdf, fhir = tmp_path / "packet.pdf", tmp_path / "packet.json"
    exported = cli(data_dir, "case", "export", case_id, "--pdf", str(pdf), "--fhir", str(fhir))
    assert exported.exit_code == 0, exported.output
    assert len(PdfReader(pdf).pages) == 1 + 1 + 2
    assert Bundle.model_validate(json.loads(fhir.read_text())).type == "collection"
    assert cli(data_dir, "case", "export", case_id).exit_code == 2
    assert cli(data_dir, "case", "show", "case_nope").exit_code == 1
