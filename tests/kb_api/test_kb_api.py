"""`/api/kb`: search with filters, documents and versions, for coordinators and up."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from caredesk.api.resources import Resources
from caredesk.domain.roles import Role

pytestmark = pytest.mark.xdist_group("kb-api")

HIT_FIELDS = {"doc_id", "version", "title", "section", "score", "quote", "start", "end"}


def test_search_returns_exact_quotes_under_payer_and_date_filters(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    params = {"q": "lumbar MRI 72148 prior authorization", "payer": "QFH", "as_of": "2026-03-01"}
    response = client.get("/api/kb/search", params=params, headers=auth[Role.COORDINATOR])
    assert response.status_code == 200, response.text
    hits = response.json()
    assert hits and all(set(hit) == HIT_FIELDS for hit in hits)
    assert {(h["doc_id"], h["version"]) for h in hits} <= {
        ("qf-imaging", "2026.1"),
        ("playbook-escalation-test", "1"),
    }
    for hit in hits:
        versions = resources.kb.get_document(hit["doc_id"])
        body = next(d.body for d in versions if d.version == hit["version"])
        assert body[hit["start"] : hit["end"]] == hit["quote"]
    older = client.get(
        "/api/kb/search", params=params | {"as_of": "2025-06-01"}, headers=auth[Role.ADMIN]
    ).json()
    assert older[0]["version"] == "2025.1"


def test_search_filters_by_kind_and_code(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    headers = auth[Role.REVIEWER]
    playbooks = client.get(
        "/api/kb/search", params={"q": "pager after hours", "kind": "playbook"}, headers=headers
    ).json()
    assert [h["doc_id"] for h in playbooks] == ["playbook-escalation-test"]
    coded = client.get(
        "/api/kb/search",
        params={"q": "brain MRI", "service_code": "70553", "payer": "tumbleweed", "k": 10},
        headers=headers,
    ).json()
    assert {h["doc_id"] for h in coded} <= {"tw-imaging", "playbook-escalation-test"}


def test_bad_search_requests_are_422(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    headers = auth[Role.COORDINATOR]
    for params in (
        {},
        {"q": "x", "payer": "Bramblecrest"},
        {"q": "x", "as_of": "2026-02-30"},
        {"q": "x", "kind": "novel"},
        {"q": "x", "k": "0"},
    ):
        assert client.get("/api/kb/search", params=params, headers=headers).status_code == 422


def test_documents_list_and_every_version(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    headers = auth[Role.COORDINATOR]
    listed = client.get("/api/kb/documents", headers=headers).json()
    assert [(d["doc_id"], d["version"]) for d in listed] == [
        ("playbook-escalation-test", "1"),
        ("qf-imaging", "2025.1"),
        ("qf-imaging", "2026.1"),
        ("tw-imaging", "2025.1"),
    ]
    in_force = client.get("/api/kb/documents", params={"as_of": "2026-02-01"}, headers=headers)
    assert ("qf-imaging", "2025.1") not in {(d["doc_id"], d["version"]) for d in in_force.json()}
    one = client.get("/api/kb/documents/qf-imaging", headers=headers).json()
    assert [v["version"] for v in one["versions"]] == ["2025.1", "2026.1"]
    assert one["versions"][1]["front_matter"]["pa_not_required"] == ["72148"]
    assert "no longer needs prior authorization" in one["versions"][1]["body"]
    missing = client.get("/api/kb/documents/no-such-doc", headers=headers)
    assert missing.status_code == 404


def test_status_and_roles(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    status = client.get("/api/kb/status", headers=auth[Role.ADMIN]).json()
    assert (status["documents"], status["versions"], status["payers"]) == (3, 4, 2)
    for path in ("/api/kb/status", "/api/kb/documents", "/api/kb/search?q=x"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=auth[Role.INTAKE]).status_code == 403
