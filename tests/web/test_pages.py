"""Pages over HTTP: a gate on every page, role-aware navigation, intake, documents, compliance."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from tests.support.documents import make_pdf, make_png
from tests.web.support import add_person, enter_as, page_csrf, sign_in, web_settings

from caredesk.api.app import api_routes, check_role_declarations, create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM, record
from caredesk.domain.documents import DocumentStatus
from caredesk.domain.roles import Role
from caredesk.storage.db import transaction
from caredesk.storage.models import WebSession, utcnow
from caredesk.web.app import create_web_app, page_app
from caredesk.web.routes.documents import status_view


def pages(client: TestClient) -> FastAPI:
    return page_app(client.app)  # type: ignore[arg-type]


def body_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return re.findall(r"<tr>.*?</tr>", body.group(1), re.S) if body else []


def test_every_page_declares_who_may_open_it(client: TestClient) -> None:
    routes = api_routes(pages(client))
    assert len(routes) >= 10
    assert [r.path for r in routes if r.gate is None] == []


def test_an_ungated_page_stops_the_app_from_starting(resources: Resources) -> None:
    pages_app = create_web_app(resources)

    @pages_app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/forgotten"):
        check_role_declarations(pages_app)


def _request(client: TestClient, method: str, path: str, csrf: str = "") -> int:
    url = re.sub(r"\{[^}]+\}", "doc_doesnotexist", path)
    data = {"csrf_token": csrf} if method == "POST" else None
    return client.request(method, url, data=data, follow_redirects=False).status_code


def test_page_role_matrix(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    routes = sorted(
        (
            (method, r.path, r.gate.roles)
            for r in api_routes(pages(client))
            for method in r.methods - {"HEAD"}
            if r.gate is not None and r.gate.roles is not None
        ),
        # Signing out ends the session the rest of the walk needs: do it last.
        key=lambda route: route[1] == "/logout",
    )
    for method, path, _roles in routes:
        client.cookies.clear()
        response = client.request(
            method, path.replace("{document_id}", "x"), follow_redirects=False
        )
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/login?next=")
    checked = 0
    for role in Role:
        enter_as(client, resources, people[role])
        csrf = page_csrf(client, "/login?next=/")
        for method, path, roles in routes:
            status = _request(client, method, path, csrf)
            assert (status == 403) == (role not in roles), (role, method, path, status)
            checked += 1
    assert checked >= 36


def test_the_403_page_says_why_and_keeps_the_navigation(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    response = client.get("/compliance")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert "allowed: admin, reviewer" in response.text
    assert 'href="/intake"' in response.text


def test_each_role_lands_on_its_own_start_page(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    expected = {
        Role.INTAKE: "/intake",
        Role.REVIEWER: "/compliance",
        Role.ADMIN: "/compliance",
    }
    for role, landing in expected.items():
        enter_as(client, resources, people[role])
        assert client.get("/", follow_redirects=False).headers["location"] == landing
    enter_as(client, resources, people[Role.COORDINATOR])
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200
    assert 'href="/worklist"' in home.text


def test_navigation_shows_only_what_the_role_may_open(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    nav = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
    enter_as(client, resources, people[Role.INTAKE])
    intake_nav = nav.search(client.get("/intake").text).group(1)  # type: ignore[union-attr]
    assert "Intake" in intake_nav and "Documents" in intake_nav
    assert "Compliance" not in intake_nav and "Worklist" not in intake_nav
    assert 'href="/intake" aria-current="page"' in intake_nav
    enter_as(client, resources, people[Role.REVIEWER])
    reviewer_nav = nav.search(client.get("/compliance").text).group(1)  # type: ignore[union-attr]
    assert "Compliance" in reviewer_nav and "Intake" not in reviewer_nav


def test_an_htmx_poll_after_expiry_moves_the_whole_page_to_sign_in(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    with transaction(resources.db) as session:
        session.execute(update(WebSession).values(last_seen_at=utcnow().replace(year=2020)))
    response = client.get(
        "/documents/doc_x/status",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/intake"},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Fintake&expired=1"


def test_pages_forbid_framing_foreign_scripts_and_caching(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    headers = client.get("/intake").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert client.get("/static/css/caredesk.css").status_code == 200


def test_status_reads_like_a_sentence() -> None:
    processing = status_view(DocumentStatus.PROCESSING, "", 2, 5)
    assert (processing.label, processing.final) == ("Processing page 3 of 5", False)
    assert status_view(DocumentStatus.PROCESSING, "", 5, 5).label == "Processing page 5 of 5"
    failed = status_view(DocumentStatus.FAILED, "the PDF is encrypted", 0, 0)
    assert (failed.label, failed.reason, failed.final) == ("Failed", "the PDF is encrypted", True)


def _wait_until_final(client: TestClient, document_id: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        badge = client.get(f"/documents/{document_id}/status").text
        if "hx-get" not in badge:
            return badge
        time.sleep(0.1)
    raise AssertionError(f"{document_id} never finished: {badge}")


def test_document_page_and_its_live_status(
    client: TestClient,
    people: dict[Role, str],
    resources: Resources,
    auth: dict[Role, dict[str, str]],
) -> None:
    uploaded = client.post(
        "/api/documents",
        headers=auth[Role.INTAKE],
        files={"file": ("intake-sample.pdf", make_pdf(2, "Intake sample"))},
    ).json()
    enter_as(client, resources, people[Role.COORDINATOR])
    badge = _wait_until_final(client, uploaded["id"])
    # The badge tells what the API tells (ready today; the pipeline decides, not the page).
    final = client.get(f"/api/documents/{uploaded['id']}", headers=auth[Role.INTAKE]).json()
    assert final["status"] in ("ready", "needs_attention"), final
    assert f'data-status="{final["status"]}"' in badge
    page = client.get(f"/documents/{uploaded['id']}").text
    assert "intake-sample.pdf" in page
    assert f'href="/api/documents/{uploaded["id"]}/file"' in page
    assert 'id="viewer"' in page
    download = client.get(f"/api/documents/{uploaded['id']}/file")
    assert download.content.startswith(b"%PDF-")
    missing = client.get("/documents/doc_nothere")
    assert missing.status_code == 404 and "no document doc_nothere" in missing.text
    same = client.get("/documents", params={"status": final["status"]}).text
    queued = client.get("/documents", params={"status": "queued"}).text
    assert "intake-sample.pdf" in same and "intake-sample.pdf" not in queued


def test_a_failed_document_says_why(
    client: TestClient,
    people: dict[Role, str],
    resources: Resources,
    auth: dict[Role, dict[str, str]],
) -> None:
    damaged = client.post(
        "/api/documents",
        headers=auth[Role.INTAKE],
        files={"file": ("damaged.pdf", b"%PDF-1.4 this is not really a PDF")},
    ).json()
    enter_as(client, resources, people[Role.INTAKE])
    badge = _wait_until_final(client, damaged["id"])
    assert 'data-status="failed"' in badge and ">Failed<" in badge
    assert 'class="status-reason"' in badge


def test_upload_form_works_without_javascript(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    pdf = make_pdf(1, "no-js upload")
    files = [("files", ("fax-1.pdf", pdf)), ("files", ("note.txt", b"plain words"))]
    first = client.post("/intake", data={"csrf_token": page_csrf(client)}, files=files)
    assert first.status_code == 200
    assert "Uploaded:" in first.text
    assert "Not accepted: unsupported file type" in first.text
    again = client.post(
        "/intake",
        data={"csrf_token": page_csrf(client)},
        files={"files": ("fax-1-again.pdf", pdf)},
    )
    assert "Already uploaded:" in again.text and "open the existing document" in again.text


def test_compliance_search_verify_and_export(
    client: TestClient,
    people: dict[Role, str],
    resources: Resources,
    auth: dict[Role, dict[str, str]],
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    uploaded = client.post(
        "/intake",
        data={"csrf_token": page_csrf(client)},
        files={"files": ("audited.png", make_png())},
    ).text
    document_id = re.search(r'Uploaded: <a href="/documents/(doc_\w+)"', uploaded).group(1)  # type: ignore[union-attr]
    enter_as(client, resources, people[Role.REVIEWER])
    search = {"actor": people[Role.INTAKE], "action": "document.upload", "object_id": document_id}
    found = client.get("/compliance", params=search).text
    rows = body_rows(found)
    assert len(rows) == 1 and "document.upload" in rows[0] and people[Role.INTAKE] in rows[0]
    assert 'href="/documents/doc_' in rows[0]
    assert 'data-chain="ok"' in client.get("/compliance/verify").text

    exports = {"action": "audit.export"}
    exported_before = len(body_rows(client.get("/compliance", params=exports).text))
    export = client.get("/compliance/export", params={"since": "2000-01-01"})
    assert export.headers["content-disposition"].startswith("attachment;")
    events = [json.loads(line) for line in export.text.splitlines()]
    assert any(e["action"] == "document.upload" for e in events)
    assert all(set(e) >= {"seq", "hash", "prev_hash"} for e in events)
    exported_after = len(body_rows(client.get("/compliance", params=exports).text))
    assert exported_after == exported_before + 1
    assert client.get("/compliance", params={"since": "March"}).status_code == 422


def test_a_tampered_chain_is_reported_with_the_event_and_reason(tmp_path: Path) -> None:
    # Its own app: breaking the chain must not leak into the module's other tests.
    settings = web_settings(tmp_path)
    resources = Resources.build(settings)
    client = TestClient(create_app(settings, resources=resources, start_workers=False))
    sign_in(client, add_person(resources, "auditor.one", Role.REVIEWER))
    with resources.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1"))
    status = client.get("/compliance/verify").text
    resources.close()
    assert 'data-chain="broken"' in status
    assert "Broken at event 1" in status and "edited" in status


def test_audit_paging(client: TestClient, people: dict[Role, str], resources: Resources) -> None:
    enter_as(client, resources, people[Role.ADMIN])
    with transaction(resources.db) as session:
        for n in range(60):
            record(session, SYSTEM, "test.event", "thing", f"t{n}")
    page_one = client.get("/compliance", params={"action": "test.event"}).text
    link = re.search(r'href="/compliance\?([^"]+)" rel="next"', page_one)
    assert link is not None and "action=test.event" in link.group(1)
    page_two = client.get("/compliance?" + link.group(1).replace("&amp;", "&")).text
    assert page_two.count("test.event</code>") == 10
    assert "First page" in page_two and 'rel="next"' not in page_two
