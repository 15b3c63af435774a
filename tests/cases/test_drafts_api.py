"""Sign-off over HTTP: four eyes (403 with the reason), reasons (422), stale versions (409)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.cases.builders import complete_checklist
from tests.cases.conftest import Referral, actor_for, open_referral_case

from caredesk.api.resources import Resources
from caredesk.audit.log import Actor
from caredesk.domain.drafts import Audience, DraftKind, Provenance
from caredesk.domain.packets import route
from caredesk.domain.roles import Role
from caredesk.review.drafts import create_draft
from caredesk.storage.db import transaction
from caredesk.worklist.assessments import record_assessment

Auth = dict[Role, dict[str, str]]
PROVENANCE = Provenance(prompt="packet.cover_letter@3", engine="offline", confidence=0.93)
LETTER = "To Quillfeather Health: please review the enclosed request for 72148.\n"


def _agent_draft(resources: Resources, referral: Referral, runner: Actor) -> dict[str, Any]:
    """What the agent leaves behind when `runner` runs it: an assessment and a draft."""
    case = open_referral_case(resources, referral)
    checklist = complete_checklist(case.id, referral.document_id, referral.boxes)
    with transaction(resources.db) as session:
        record_assessment(
            session, case.id, checklist, route(checklist, 0.93, 0.8), PROVENANCE, actor=runner
        )
        draft = create_draft(
            session,
            case.id,
            DraftKind.COVER_LETTER,
            Audience.PAYER,
            LETTER,
            PROVENANCE,
            None,
            runner,
        )
    return draft.model_dump(mode="json")


def test_four_eyes_over_http(
    client: TestClient, auth: Auth, resources: Resources, referral: Referral
) -> None:
    draft = _agent_draft(resources, referral, actor_for(resources, Role.REVIEWER))
    url = f"/api/drafts/{draft['id']}"
    own = client.post(f"{url}/approve", json={"version": 1}, headers=auth[Role.REVIEWER])
    assert own.status_code == 403 and "four eyes" in own.json()["reason"]
    edited = client.patch(
        url,
        json={"content": LETTER + "Kind regards.\n", "version": 1},
        headers=auth[Role.ADMIN],
    )
    assert edited.status_code == 200, edited.text
    version = edited.json()["version"]
    editor = client.post(f"{url}/approve", json={"version": version}, headers=auth[Role.ADMIN])
    assert editor.status_code == 403 and "edited it" in editor.json()["reason"]
    coordinator = client.post(
        f"{url}/approve", json={"version": version}, headers=auth[Role.COORDINATOR]
    )
    assert coordinator.status_code == 403


def test_decisions_need_reasons_and_current_versions(
    client: TestClient, auth: Auth, resources: Resources, referral: Referral
) -> None:
    draft = _agent_draft(resources, referral, actor_for(resources, Role.COORDINATOR))
    url = f"/api/drafts/{draft['id']}"
    reviewer = auth[Role.REVIEWER]
    for reason in (None, "", "   "):
        body: dict[str, object] = {"version": 1}
        if reason is not None:
            body["reason"] = reason
        assert client.post(f"{url}/reject", json=body, headers=reviewer).status_code == 422
    first = client.patch(url, json={"content": "A\n", "version": 1}, headers=auth[Role.COORDINATOR])
    second = client.patch(url, json={"content": "B\n", "version": 1}, headers=auth[Role.ADMIN])
    assert first.status_code == 200 and second.status_code == 409
    assert "changed meanwhile" in second.json()["reason"]
    leak = client.patch(
        url,
        json={"content": "A\n", "version": 2, "fields_used": ["favourite_colour"]},
        headers=auth[Role.COORDINATOR],
    )
    assert leak.status_code == 422 and "favourite_colour" in leak.json()["reason"]
    stale = client.post(f"{url}/reject", json={"version": 1, "reason": "no"}, headers=reviewer)
    assert stale.status_code == 409
    rejected = client.post(
        f"{url}/reject", json={"version": 2, "reason": "wrong payer"}, headers=reviewer
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert rejected.json()["reviews"][-1]["reason"] == "wrong payer"


def test_approve_then_send_and_only_approved_drafts_leave(
    client: TestClient, auth: Auth, resources: Resources, referral: Referral
) -> None:
    draft = _agent_draft(resources, referral, actor_for(resources, Role.COORDINATOR))
    url = f"/api/drafts/{draft['id']}"
    coordinator = auth[Role.COORDINATOR]
    early = client.post(f"{url}/send", json={"version": 1}, headers=coordinator)
    assert early.status_code == 409 and "pending_review" in early.json()["reason"]
    assert (
        client.post(f"{url}/send", json={"version": 1}, headers=auth[Role.REVIEWER]).status_code
        == 403
    )
    approved = client.post(f"{url}/approve", json={"version": 1}, headers=auth[Role.REVIEWER])
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    sent = client.post(f"{url}/send", json={"version": 2}, headers=coordinator)
    assert sent.status_code == 200, sent.text
    assert (sent.json()["draft"]["state"], sent.json()["channel"]) == ("sent", "manual")
    assert client.post(f"{url}/send", json={"version": 3}, headers=coordinator).status_code == 409
    detail = client.get(url, headers=auth[Role.REVIEWER]).json()
    assert detail["provenance"]["prompt"] == "packet.cover_letter@3"
    assert [v["number"] for v in detail["versions"]] == [1]
    queue = client.get("/api/drafts?state=sent", headers=coordinator).json()
    assert [d["id"] for d in queue["items"]] == [draft["id"]]
    events = client.get(
        f"/api/audit/events?object_id={draft['id']}", headers=auth[Role.REVIEWER]
    ).json()["items"]
    assert [e["action"] for e in events] == ["draft.create", "draft.approved", "draft.send"]
    assert client.get("/api/audit/verify", headers=auth[Role.REVIEWER]).json()["ok"] is True
