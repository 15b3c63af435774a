"""Agent runs through the API (a durable job, followed by polling) and the command line."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.agent.support import ReadBundle, open_bundle_case
from tests.copilot.support import kb_settings
from typer.testing import CliRunner

from caredesk.api.resources import Resources
from caredesk.cli import app
from caredesk.domain.roles import Role
from caredesk.knowledge.embeddings import MiniLmEmbedder

Bundles = Callable[[str], ReadBundle]
Headers = dict[Role, dict[str, str]]


def wait_for(client: TestClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown: dict[str, Any] = client.get(path, headers=headers).json()
        if shown["status"] in {"completed", "budget_exceeded", "failed"}:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"the run did not finish: {shown}")


def test_a_run_is_a_job_with_progress_budget_and_routing(
    client: TestClient, resources: Resources, auth: Headers, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    runs = f"/api/cases/{case_id}/agent-runs"
    assert client.post(runs, headers=auth[Role.INTAKE]).status_code == 403
    assert client.post(runs, headers=auth[Role.REVIEWER]).status_code == 403
    assert client.post(runs).status_code == 401
    started = client.post(runs, headers=auth[Role.COORDINATOR])
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] in {"queued", "running", "completed"} and run["job_id"]
    shown = wait_for(client, f"{runs}/{run['id']}", auth[Role.REVIEWER])
    assert shown["status"] == "completed", shown
    assert shown["progress"] == {"done": 9, "total": 9} and shown["current_node"] == "route"
    assert shown["budget"]["used"]["steps"] == 8  # `route` always runs: not counted
    assert shown["budget"]["limits"]["steps"] == resources.settings.agent_max_steps
    assert shown["routing"]["decision"] == "ready" and len(shown["draft_ids"]) == 2
    checklist = client.get(f"/api/cases/{case_id}/checklist", headers=auth[Role.REVIEWER])
    assert checklist.json()["id"] == shown["assessment_id"]
    listed = client.get(runs, headers=auth[Role.COORDINATOR]).json()
    assert [r["id"] for r in listed] == [run["id"]]
    assert client.get(f"{runs}/run_nosuchrun0000", headers=auth[Role.ADMIN]).status_code == 404


def test_whoever_ran_the_agent_cannot_approve_its_drafts(
    client: TestClient, resources: Resources, auth: Headers, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    runs = f"/api/cases/{case_id}/agent-runs"
    run = client.post(runs, headers=auth[Role.ADMIN]).json()
    shown = wait_for(client, f"{runs}/{run['id']}", auth[Role.ADMIN])
    draft_id = shown["draft_ids"][0]
    draft = client.get(f"/api/drafts/{draft_id}", headers=auth[Role.ADMIN]).json()
    body = {"version": draft["version"]}
    refused = client.post(f"/api/drafts/{draft_id}/approve", json=body, headers=auth[Role.ADMIN])
    assert refused.status_code == 403 and "four eyes" in refused.json()["reason"]
    approved = client.post(
        f"/api/drafts/{draft_id}/approve", json=body, headers=auth[Role.REVIEWER]
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"


runner = CliRunner()


@pytest.mark.slow
def test_case_run_prints_checklist_drafts_and_routing(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kb_dir: Path,
    sentence_model: MiniLmEmbedder,
    bundles: Bundles,
) -> None:
    data_dir = tmp_path / "data"
    # The knowledge base as loaded for the session (its vectors cached), in a fresh data dir.
    shutil.copytree(kb_dir, data_dir, ignore=shutil.ignore_patterns("*.db*", "blobs"))
    built = Resources.build(kb_settings(data_dir), embedder=sentence_model)
    try:
        case_id, _ = open_bundle_case(built, bundles("missing"))
    finally:
        built.close()
    monkeypatch.setenv("CAREDESK_KB_PATH", str(kb_settings(data_dir).kb_path))
    printed = runner.invoke(app, ["--data-dir", str(data_dir), "case", "run", case_id, "--json"])
    assert printed.exit_code == 0, printed.output
    result = json.loads(printed.stdout)
    assert set(result) >= {"case_id", "run_id", "engine", "checklist", "drafts", "routing",
                           "confidence", "budget"}  # fmt: skip
    assert result["case_id"] == case_id and result["engine"] == "offline"
    item = next(i for i in result["checklist"] if i["id"] == "hst-result-or-contraindication")
    assert set(item) >= {"id", "text", "status", "evidence", "rationale"}
    assert item["status"] == "missing"
    assert result["routing"]["route"] == "review"
    assert {"id", "kind", "audience", "state", "flagged", "reasons"} <= set(result["drafts"][0])
    table = runner.invoke(app, ["--data-dir", str(data_dir), "case", "run", case_id])
    assert table.exit_code == 0, table.output
    assert "route: review" in table.stdout and "hst-result" in table.stdout
