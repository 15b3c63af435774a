"""Cases over HTTP: open from a document or by hand, read with evidence, correct, worklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from tests.cases.builders import MEMBER_ID, fax_tiff
from tests.cases.conftest import Referral, upload

from caredesk.api.resources import Resources
from caredesk.domain.roles import Role

Auth = dict[Role, dict[str, str]]


def _open(client: TestClient, auth: Auth, referral: Referral) -> dict[str, Any]:
    response = client.post(
        "/api/cases", json={"document_id": referral.document_id}, headers=auth[Role.INTAKE]
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_intake_opens_a_case_from_a_referral_and_coordinators_work_it(
    client: TestClient, auth: Auth, referral: Referral
) -> None:
    case = _open(client, auth, referral)
    member = case["member_id"]
    assert isinstance(member, dict)
    assert (member["value"], member["source"]) == (MEMBER_ID, "extracted")
    assert member["evidence"]["document_id"] == referral.document_id
    assert member["evidence"]["bbox"]["x0"] == referral.boxes["member_id"].x0
    assert case["missing_fields"] == [] and case["clock"]["risk"] == "on_track"
    again = client.post(
        "/api/cases", json={"document_id": referral.document_id}, headers=auth[Role.INTAKE]
    )
    assert again.status_code == 409 and case["id"] in again.json()["reason"]
    shown = client.get(f"/api/cases/{case['id']}", headers=auth[Role.REVIEWER]).json()
    assert shown["document_ids"] == [referral.document_id]
    listing = client.get("/api/cases", headers=auth[Role.COORDINATOR]).json()
    assert [item["id"] for item in listing["items"]] == [case["id"]]
    assert listing["items"][0]["services"] == ["72148 x 1"]
    assert client.get("/api/cases", headers=auth[Role.INTAKE]).status_code == 403


def test_without_an_extraction_a_document_is_409_and_a_case_can_be_typed_in(
    client: TestClient, auth: Auth, resources: Resources
) -> None:
    note = client.post(
        "/api/documents", files={"file": ("note.tif", fax_tiff(1))}, headers=auth[Role.INTAKE]
    ).json()
    refused = client.post("/api/cases", json={"document_id": note["id"]}, headers=auth[Role.INTAKE])
    assert refused.status_code == 409 and "no extraction" in refused.json()["reason"]
    body = {
        "document_id": note["id"],
        "patient_name": "Manual Testcase",
        "payer": "Tumbleweed",
        "procedure_codes": [{"code": "E0601", "units": 1}],
        "diagnosis_codes": ["g4733"],
        "urgency": "expedited",
        "received_at": "2026-03-02T09:00:00Z",
    }
    created = client.post("/api/cases", json=body, headers=auth[Role.COORDINATOR])
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["payer"]["value"] == "tumbleweed" and case["payer"]["source"] == "manual"
    assert case["diagnosis_codes"]["value"] == ["G47.33"]
    assert case["due_at"].startswith("2026-03-05T09:00:00")
    assert case["document_ids"] == [note["id"]]
    assert "member_id" in case["missing_fields"]
    bad = client.post(
        "/api/cases",
        json={**body, "ordering_provider_npi": "1234567890"},
        headers=auth[Role.COORDINATOR],
    )
    assert bad.status_code == 422 and "ordering_provider_npi" in bad.json()["reason"]
    empty = client.post("/api/cases", json={}, headers=auth[Role.COORDINATOR])
    assert empty.status_code == 422 and "at least one" in empty.json()["reason"]


def test_a_coordinator_corrects_a_value_and_a_stale_version_is_409(
    client: TestClient, auth: Auth, referral: Referral
) -> None:
    case = _open(client, auth, referral)
    url = f"/api/cases/{case['id']}/values/urgency"
    body = {"value": "expedited", "version": case["version"]}
    fixed = client.put(url, json=body, headers=auth[Role.COORDINATOR])
    assert fixed.status_code == 200, fixed.text
    urgency = fixed.json()["urgency"]
    assert urgency["source"] == "corrected" and urgency["original"]["value"] == "standard"
    assert urgency["original"]["evidence"]["page"] == 1
    due = datetime.fromisoformat(fixed.json()["due_at"])
    received = datetime.fromisoformat(fixed.json()["received_at"])
    assert (due - received).total_seconds() == 72 * 3600
    assert client.put(url, json=body, headers=auth[Role.COORDINATOR]).status_code == 409
    assert client.put(url, json=body, headers=auth[Role.REVIEWER]).status_code == 403
    nonsense = client.put(
        f"/api/cases/{case['id']}/values/shoe_size",
        json={"value": 9},
        headers=auth[Role.COORDINATOR],
    )
    assert nonsense.status_code == 422 and "shoe_size" in nonsense.json()["reason"]
    events = client.get(
        f"/api/audit/events?object_id={case['id']}", headers=auth[Role.REVIEWER]
    ).json()["items"]
    correction = next(e for e in events if e["action"] == "case.value.correct")
    assert (correction["details"]["before"], correction["details"]["after"]) == (
        "standard",
        "expedited",
    )


def test_documents_attach_and_the_worklist_filters_over_http(
    client: TestClient, auth: Auth, referral: Referral, resources: Resources
) -> None:
    case = _open(client, auth, referral)
    note = {"id": upload(resources, fax_tiff(2), "n.tif")}
    attached = client.post(
        f"/api/cases/{case['id']}/documents",
        json={"document_id": note["id"]},
        headers=auth[Role.INTAKE],
    )
    assert attached.status_code == 200 and attached.json()["document_ids"][-1] == note["id"]
    headers = auth[Role.COORDINATOR]
    assert client.get("/api/cases?payer=lanternfish", headers=headers).json()["total"] == 0
    assert client.get("/api/cases?status=open&status=ready", headers=headers).json()["total"] == 1
    assert client.get("/api/cases?risk=overdue", headers=headers).json()["total"] == 0
    assert client.get("/api/cases?sort=received_at", headers=headers).status_code == 200
    assert client.get("/api/cases?sort=alphabetical", headers=headers).status_code == 422
    checklist = client.get(f"/api/cases/{case['id']}/checklist", headers=headers)
    assert checklist.status_code == 404 and "not been assessed" in checklist.json()["reason"]
