"""Ingestion through the service: pages, words, fields with evidence, page images, corrections."""

from __future__ import annotations

import io
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from caredesk.domain.roles import Role
from caredesk.synthetic import build_file

FINAL = {"ready", "needs_attention", "failed"}


def wait_until_final(
    client: TestClient, headers: dict[str, str], document_id: str, timeout: float = 120
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/documents/{document_id}", headers=headers).json()
        if body["status"] in FINAL:
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"{document_id} still {body['status']}")


@pytest.fixture
def referral(client: TestClient, auth: dict[Role, dict[str, str]]) -> tuple[str, dict]:  # type: ignore[type-arg]
    sample = build_file(0, seed=7, fax_share=0, formats=("pdf",))
    response = client.post(
        "/api/documents",
        headers=auth[Role.INTAKE],
        files={"file": (f"{sample.doc_id}.{sample.extension}", sample.content)},
    )
    document_id = response.json()["id"]
    done = wait_until_final(client, auth[Role.INTAKE], document_id)
    assert done["status"] == "ready", done["status_reason"]
    return document_id, sample.truth


def test_fields_carry_values_and_evidence(
    client: TestClient, auth: dict[Role, dict[str, str]], referral: tuple[str, dict]
) -> None:  # type: ignore[type-arg]
    document_id, truth = referral
    body = client.get(f"/api/documents/{document_id}/fields", headers=auth[Role.COORDINATOR]).json()
    assert body["doc_type"] == truth["doc_type"]
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["member_id"]["normalized"] == truth["fields"]["member_id"]
    assert fields["date_of_birth"]["normalized"] == truth["fields"]["date_of_birth"]
    evidence = fields["member_id"]["evidence"]
    assert evidence["page"] >= 1 and evidence["extractor"]
    # The evidence box holds the value's words on that page.
    words = client.get(
        f"/api/documents/{document_id}/pages/{evidence['page']}/words",
        headers=auth[Role.COORDINATOR],
    ).json()
    x0, y0, x1, y1 = (evidence["bbox"][k] for k in ("x0", "y0", "x1", "y1"))
    inside = " ".join(
        w["text"]
        for w in words["items"]
        if w["bbox"][0] >= x0 - 2
        and w["bbox"][2] <= x1 + 2
        and w["bbox"][1] >= y0 - 2
        and w["bbox"][3] <= y1 + 2
    )
    assert truth["fields"]["member_id"] in inside.replace(" ", "")


def test_pages_and_page_image_with_highlight(
    client: TestClient, auth: dict[Role, dict[str, str]], referral: tuple[str, dict]
) -> None:  # type: ignore[type-arg]
    document_id, truth = referral
    pages = client.get(f"/api/documents/{document_id}/pages", headers=auth[Role.INTAKE]).json()
    assert [p["number"] for p in pages] == list(range(1, truth["pages"] + 1))
    assert all(p["status"] == "ok" and p["quality"] for p in pages)
    plain = client.get(
        f"/api/documents/{document_id}/pages/1/image?width=600", headers=auth[Role.INTAKE]
    )
    marked = client.get(
        f"/api/documents/{document_id}/pages/1/image?width=600&field=patient_name",
        headers=auth[Role.INTAKE],
    )
    assert plain.headers["content-type"] == "image/png"
    first, second = Image.open(io.BytesIO(plain.content)), Image.open(io.BytesIO(marked.content))
    assert first.width == 600 and first.size == second.size
    assert first.tobytes() != second.tobytes()  # the evidence box was drawn
    bad = client.get(
        f"/api/documents/{document_id}/pages/1/image?highlight=1,2", headers=auth[Role.INTAKE]
    )
    assert bad.status_code == 422
    assert (
        client.get(
            f"/api/documents/{document_id}/pages/99/image", headers=auth[Role.INTAKE]
        ).status_code
        == 404
    )


def test_correction_keeps_the_original_and_survives_reextraction(
    client: TestClient,
    auth: dict[Role, dict[str, str]],
    referral: tuple[str, dict],  # type: ignore[type-arg]
) -> None:
    document_id, truth = referral
    url = f"/api/documents/{document_id}/fields/member_id"
    fixed = client.patch(
        url,
        headers=auth[Role.INTAKE],
        json={"value": "QFH000000001", "note": "typed from the card"},
    ).json()
    assert (fixed["value"], fixed["source"], fixed["confidence"]) == (
        "QFH000000001",
        "corrected",
        1.0,
    )
    assert fixed["original"]["normalized"] == truth["fields"]["member_id"]
    assert fixed["evidence"] is not None
    rerun = client.post(f"/api/documents/{document_id}/extract", headers=auth[Role.INTAKE])
    assert rerun.status_code == 202
    deadline = time.monotonic() + 60
    while (
        client.get(f"/api/documents/{document_id}", headers=auth[Role.INTAKE]).json()["job_status"]
        not in ("done", None)
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    fields = {
        f["name"]: f
        for f in client.get(
            f"/api/documents/{document_id}/fields", headers=auth[Role.INTAKE]
        ).json()["fields"]
    }
    assert fields["member_id"]["value"] == "QFH000000001"
    events = client.get(
        f"/api/audit/events?object_id={document_id}&action=document.field_corrected",
        headers=auth[Role.REVIEWER],
    ).json()["items"]
    assert len(events) == 1 and "QFH000000001" not in str(events)
    assert client.patch(url, headers=auth[Role.REVIEWER], json={"value": "x"}).status_code == 403
