"""A payer's stricter decision clock, read from the knowledge base, sets the due date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from caredesk.api.resources import Resources
from caredesk.domain.roles import Role

KB = Path(__file__).parents[2] / "knowledge_base"


@pytest.mark.slow
def test_the_payers_policy_clock_applies_when_stricter(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    (folder / "payers" / "quillfeather").mkdir(parents=True)
    shutil.copy(KB / "payers.yaml", folder / "payers.yaml")
    for name in ("advanced-imaging-2025.md", "advanced-imaging-2026.md"):
        shutil.copy(KB / "payers" / "quillfeather" / name, folder / "payers" / "quillfeather")
    resources.kb.load(folder)
    body = {
        "patient_name": "Clock Testperson",
        "payer": "quillfeather",
        "procedure_codes": [{"code": "72148", "units": 1}],
        "received_at": "2026-03-02T09:00:00Z",
    }
    case = client.post("/api/cases", json=body, headers=auth[Role.COORDINATOR]).json()
    assert case["payer_clock"] == {
        "expedited_hours": 48,
        "standard_days": 5,
        "source": "quillfeather-advanced-imaging@2026.1",
    }
    assert case["due_at"].startswith("2026-03-07T09:00:00")  # 5 days, not the federal 7
    url = f"/api/cases/{case['id']}/values/urgency"
    fixed = client.put(url, json={"value": "expedited"}, headers=auth[Role.COORDINATOR]).json()
    assert fixed["due_at"].startswith("2026-03-04T09:00:00")  # 48 hours, not 72
    # Another payer's case (no policy here) keeps the federal clock.
    other = client.post(
        "/api/cases", json={**body, "payer": "tumbleweed"}, headers=auth[Role.COORDINATOR]
    ).json()
    assert other["payer_clock"] is None
    assert other["due_at"].startswith("2026-03-09T09:00:00")  # the federal 7 days
