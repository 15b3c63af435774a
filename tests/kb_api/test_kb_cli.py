"""`caredesk kb load|status|search` and `caredesk ask`, run the way a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.kb_api.conftest import FIXTURE_KB, Cli

pytestmark = pytest.mark.xdist_group("kb-api")

ANSWER_KEYS = {"answer", "abstained", "confidence", "engine", "prompt", "citations"}
CITATION_KEYS = {"n", "doc_id", "version", "section", "quote"}


def test_load_status_and_search(cli: Cli, tmp_path: Path) -> None:
    empty = json.loads(cli("kb", "status", "--json").stdout)
    assert empty["documents"] == 0
    loaded = cli("kb", "load")
    assert loaded.exit_code == 0, loaded.output
    assert "added qf-imaging@2026.1" in loaded.stdout
    again = cli("kb", "load", str(FIXTURE_KB), "--json")
    report = json.loads(again.stdout)
    assert report["added"] == [] and report["unchanged"] == 4 and report["embedded"] == 0
    status = json.loads(cli("kb", "status", "--json").stdout)
    assert (status["documents"], status["versions"]) == (3, 4)
    assert status["index_location"].startswith(str(tmp_path / "data"))  # CAREDESK_DATA_DIR
    hits = json.loads(
        cli("kb", "search", "fax", "--payer", "QFH", "--as-of", "2025-05-01", "--json").stdout
    )
    assert hits and set(hits[0]) == {
        "doc_id", "version", "title", "section", "score", "quote", "start", "end",
    }  # fmt: skip
    assert hits[0]["version"] == "2025.1" and "555-0142" in hits[0]["quote"]
    assert "qf-imaging" in cli("kb", "search", "fax", "--k", "1").stdout


def test_search_refuses_bad_dates_and_payers(cli: Cli) -> None:
    cli("kb", "load")
    bad_date = cli("kb", "search", "fax", "--as-of", "31/01/2026")
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output
    bad_payer = cli("kb", "search", "fax", "--payer", "Bramblecrest")
    assert bad_payer.exit_code == 2 and "quillfeather" in bad_payer.output


def test_loading_a_missing_folder_fails_clearly(cli: Cli, tmp_path: Path) -> None:
    result = cli("kb", "load", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_ask_json_shape_loads_the_knowledge_base_and_audits(cli: Cli) -> None:
    result = cli(
        "ask", "Does Quillfeather require prior authorization for 72148?",
        "--as-of", "2026-02-01", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == ANSWER_KEYS
    assert answer["answer"].startswith("No") and answer["abstained"] is False
    assert (answer["engine"], answer["prompt"]) == ("offline", "copilot.offline@1")
    assert answer["citations"] and set(answer["citations"][0]) == CITATION_KEYS
    assert answer["citations"][0]["version"] == "2026.1"
    exported = cli("audit", "export").stdout.splitlines()
    events = [json.loads(line) for line in exported if line.strip()]
    answers = [e for e in events if e["action"] == "copilot.answer"]
    assert len(answers) == 1 and answers[0]["object_type"] == "copilot_answer"
    details = answers[0]["details"]
    assert details["prompt"] == "copilot.offline@1" and details["engine"] == "offline"
    assert details["sources"] and details["abstained"] is False
    assert cli("audit", "verify").exit_code == 0


def test_ask_abstains_and_refuses_bad_input(cli: Cli) -> None:
    abstained = json.loads(cli("ask", "What is the copay for a chiropractor?", "--json").stdout)
    assert abstained["abstained"] is True and abstained["confidence"] == 0
    assert cli("ask", "Does 72148 need PA?", "--as-of", "tomorrow").exit_code == 2
    assert cli("ask", "Does 72148 need PA?", "--payer", "Bramblecrest").exit_code == 2
    unknown_case = cli("ask", "Does this need PA?", "--case", "case_nope")
    assert unknown_case.exit_code == 1 and "no case" in unknown_case.output


def test_ask_prints_answer_and_sources(cli: Cli) -> None:
    result = cli("ask", "How long do we have to appeal a Tumbleweed denial?")
    assert result.exit_code == 0, result.output
    assert "180 calendar days" in result.stdout and "tw-imaging@2025.1" in result.stdout
