"""Uploading documents over HTTP: sniffing, limits, duplicates, listing, download, ingestion."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.documents import make_pdf, make_png, make_tiff

from caredesk.api.resources import Resources
from caredesk.domain.roles import Role

PROCESSED = {"ready", "needs_attention"}


def wait_for_status(
    client: TestClient, headers: dict[str, str], document_id: str, timeout: float = 20
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/documents/{document_id}", headers=headers).json()
        if body["status"] in ("ready", "needs_attention", "failed"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"document {document_id} still {body['status']}")


def upload(client: TestClient, headers: dict[str, str], name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/documents", headers=headers, files={"file": (name, content)})


@pytest.mark.parametrize(
    ("name", "content", "media_type", "pages"),
    [
        ("referral.pdf", make_pdf(3), "application/pdf", 3),
        ("fax.tif", make_tiff(2), "image/tiff", 2),
        ("scan.png", make_png(), "image/png", 1),
        # The name lies; the bytes decide.
        ("scan.pdf", make_png(), "image/png", 1),
    ],
)
def test_upload_sniffs_type_from_bytes_and_ingests(
    client: TestClient,
    auth: dict[Role, dict[str, str]],
    name: str,
    content: bytes,
    media_type: str,
    pages: int,
) -> None:
    response = upload(client, auth[Role.INTAKE], name, content)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["media_type"], body["status"], body["duplicate"]) == (media_type, "queued", False)
    done = wait_for_status(client, auth[Role.INTAKE], body["id"])
    # Blank test pages carry no fields, so a person is asked to look: that is a finished read.
    assert done["status"] in PROCESSED
    assert (done["page_count"], done["pages_done"]) == (pages, pages)


def test_same_bytes_twice_is_one_document(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    content = make_pdf(1, "duplicate check")
    first = upload(client, auth[Role.INTAKE], "a.pdf", content)
    second = upload(client, auth[Role.COORDINATOR], "renamed.pdf", content)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True
    assert second.json()["id"] == first.json()["id"]
    listing = client.get("/api/documents", headers=auth[Role.INTAKE]).json()
    assert listing["total"] == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"hello, this is a text file", "unsupported"),
        (b"GIF89a\x01\x00\x01\x00", "unsupported"),
    ],
)
def test_unsupported_input_is_415_and_nothing_is_stored(
    client: TestClient,
    auth: dict[Role, dict[str, str]],
    resources: Resources,
    content: bytes,
    reason: str,
) -> None:
    response = upload(client, auth[Role.INTAKE], "x.pdf", content)
    assert response.status_code == 415
    assert reason in response.json()["reason"]
    assert client.get("/api/documents", headers=auth[Role.INTAKE]).json()["total"] == 0
    assert [p for p in resources.blobs.root.rglob("*") if p.is_file()] == []


def test_oversized_upload_is_413_and_leaves_nothing(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    resources.settings.max_upload_mb = 1
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
    response = upload(client, auth[Role.INTAKE], "big.pdf", big)
    assert response.status_code == 413
    assert "1 MB" in response.json()["reason"]
    assert [p for p in resources.blobs.root.rglob("*") if p.is_file()] == []


def test_damaged_pdf_fails_with_a_reason_and_keeps_the_bytes(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    content = make_pdf(2)[:300]
    body = upload(client, auth[Role.INTAKE], "cut.pdf", content).json()
    done = wait_for_status(client, auth[Role.INTAKE], body["id"])
    assert done["status"] == "failed"
    assert "damaged" in str(done["status_reason"]) or "no pages" in str(done["status_reason"])
    assert resources.blobs.read_bytes(body["sha256"]) == content
    # The worker survived: the next document still goes through.
    ok = upload(client, auth[Role.INTAKE], "ok.pdf", make_pdf(1, "after")).json()
    assert wait_for_status(client, auth[Role.INTAKE], ok["id"])["status"] in PROCESSED


def test_list_filters_and_pages(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    ids = [
        upload(client, auth[Role.INTAKE], f"{n}.pdf", make_pdf(1, f"doc {n}")).json()["id"]
        for n in range(5)
    ]
    for document_id in ids:
        wait_for_status(client, auth[Role.INTAKE], document_id)
    page = client.get("/api/documents?limit=2&offset=1", headers=auth[Role.REVIEWER]).json()
    assert (page["total"], len(page["items"]), page["limit"]) == (5, 2, 2)
    attention = client.get("/api/documents?status=needs_attention", headers=auth[Role.REVIEWER])
    assert attention.json()["total"] == 5
    assert (
        client.get("/api/documents?status=failed", headers=auth[Role.REVIEWER]).json()["total"] == 0
    )
    assert client.get("/api/documents?status=bogus", headers=auth[Role.REVIEWER]).status_code == 422
    assert client.get("/api/documents?limit=0", headers=auth[Role.REVIEWER]).status_code == 422


def test_download_returns_the_original_bytes_and_is_audited(
    client: TestClient, auth: dict[Role, dict[str, str]], tmp_path: Path
) -> None:
    content = make_pdf(1, "download me")
    body = upload(client, auth[Role.INTAKE], "orig.pdf", content).json()
    response = client.get(f"/api/documents/{body['id']}/file", headers=auth[Role.COORDINATOR])
    assert response.content == content
    assert response.headers["content-type"] == "application/pdf"
    events = client.get(f"/api/audit/events?object_id={body['id']}", headers=auth[Role.REVIEWER])
    actions = [e["action"] for e in events.json()["items"]]
    assert "document.upload" in actions and "document.download" in actions
    assert (
        client.get("/api/documents/doc_missing/file", headers=auth[Role.INTAKE]).status_code == 404
    )
