"""The phase-2 pages over HTTP: who may open them, the viewer, cases, the worklist, drafts and
sign-off, the copilot without JavaScript, the compliance trail."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from tests.web.casework import actor, upload, wait_until_read
from tests.web.support import enter_as

from caredesk.agent.runs import RunRecorder
from caredesk.api.app import api_routes
from caredesk.api.resources import Resources
from caredesk.domain.clocks import Urgency
from caredesk.domain.drafts import HUMAN, Audience, DraftKind
from caredesk.domain.roles import Role
from caredesk.review.drafts import create_draft
from caredesk.storage.db import transaction
from caredesk.storage.models import utcnow
from caredesk.synthetic import generate_case_bundle
from caredesk.web.app import page_app
from caredesk.worklist.cases import CaseEntry, open_case

IN, C, R, A = Role.INTAKE, Role.COORDINATOR, Role.REVIEWER, Role.ADMIN
# Every page route phase 2 added, and exactly who may use it.
GATES: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/documents/{document_id}/fields/{name}"): frozenset({IN, C, A}),
    ("POST", "/documents/{document_id}/case"): frozenset({IN, C, A}),
    ("GET", "/worklist"): frozenset({C, R, A}),
    ("GET", "/cases/{case_id}"): frozenset({C, R, A}),
    ("POST", "/cases/{case_id}/agent-runs"): frozenset({C, A}),
    ("GET", "/cases/{case_id}/agent-runs/{run_id}"): frozenset({C, R, A}),
    ("GET", "/copilot"): frozenset({C, R, A}),
    ("POST", "/copilot"): frozenset({C, R, A}),
    ("GET", "/copilot/threads/{thread_id}/messages/{message_id}"): frozenset({C, R, A}),
    ("GET", "/kb/{doc_id}"): frozenset({C, R, A}),
    ("GET", "/review"): frozenset({R, A}),
    ("GET", "/drafts/{draft_id}"): frozenset({C, R, A}),
    ("POST", "/drafts/{draft_id}/edit"): frozenset({C, A}),
    ("POST", "/drafts/{draft_id}/approve"): frozenset({R, A}),
    ("POST", "/drafts/{draft_id}/request-changes"): frozenset({R, A}),
    ("POST", "/drafts/{draft_id}/reject"): frozenset({R, A}),
    ("POST", "/drafts/{draft_id}/send"): frozenset({C, A}),
    ("GET", "/compliance/drafts/{draft_id}"): frozenset({R, A}),
}


@dataclass(frozen=True)
class Seeded:
    referral: str  # read, and a case opened from it
    spare_referral: str  # read, no case yet
    case_id: str
    draft_id: str


@pytest.fixture(scope="module")
def seeded(module_client: TestClient, resources: Resources, people: dict[Role, str]) -> Seeded:
    """Two synthetic referrals read by the ingestion job; a case and a coordinator's draft."""
    intake, coordinator = actor(resources, IN), actor(resources, C)
    papers = [
        generate_case_bundle(seed, "complete", service="sleep-study-lab", with_note=False)
        for seed in (3, 6)
    ]
    ids = [upload(resources, p.documents[0].file_name, p.documents[0].content, intake)
           for p in papers]  # fmt: skip
    wait_until_read(resources, ids)
    with transaction(resources.db) as session:
        case = open_case(session, CaseEntry(patient_name="Paige Fixture", payer="quillfeather",
                                            document_ids=[ids[0]]), actor=intake)  # fmt: skip
        draft = create_draft(
            session, case.id, DraftKind.COVER_LETTER, Audience.INTERNAL,
            "Cover letter, first text.\nSecond line.\n", HUMAN, None, coordinator,
        )  # fmt: skip
    return Seeded(ids[0], ids[1], case.id, draft.id)


def _html(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response.text


def test_new_pages_carry_the_gates_they_were_designed_with(client: TestClient) -> None:
    declared = {
        (method, route.path): route.gate.roles
        for route in api_routes(page_app(client.app))  # type: ignore[arg-type]
        for method in route.methods - {"HEAD"}
        if route.gate is not None
    }
    for key, roles in GATES.items():
        assert declared.get(key) == roles, key


def test_each_role_gets_the_403_page_on_pages_it_may_not_open(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    pages = {
        f"/cases/{seeded.case_id}": GATES[("GET", "/cases/{case_id}")],
        "/worklist": GATES[("GET", "/worklist")],
        "/review": GATES[("GET", "/review")],
        f"/drafts/{seeded.draft_id}": GATES[("GET", "/drafts/{draft_id}")],
        f"/compliance/drafts/{seeded.draft_id}": GATES[("GET", "/compliance/drafts/{draft_id}")],
        "/copilot": GATES[("GET", "/copilot")],
    }
    for role in Role:
        enter_as(client, resources, people[role])
        for path, roles in pages.items():
            response = client.get(path)
            assert (response.status_code == 403) == (role not in roles), (role, path)
            if response.status_code == 403:
                assert "You do not have access to this page" in response.text


def test_the_viewer_lists_fields_with_evidence_and_opens_on_the_one_asked_for(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    enter_as(client, resources, people[IN])
    html = _html(client, f"/documents/{seeded.referral}?field=patient_name")
    link = re.search(r'<a class="field-link"[^>]*data-field="patient_name"[^>]*>', html, re.S)
    assert link and 'aria-current="true"' in link.group(0) and "data-box=" in link.group(0)
    assert html.count('class="evidence-box"') == 1
    assert "Highlighted on page" in html and "Patient name" in html
    assert f'src="/api/documents/{seeded.referral}/pages/' in html
    assert 'id="word-boxes"' in html


def test_a_link_with_a_box_or_a_quote_highlights_it(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    enter_as(client, resources, people[C])
    boxed = _html(client, f"/documents/{seeded.referral}?page=1&box=10,20,110,60&size=1275,1650")
    # Measured on a page half the size: drawn at twice the coordinates on the 2550-wide page,
    # padded by 1/250 of its width.
    assert 'class="evidence-box" x="9.8" y="29.8" width="220.4" height="100.4"' in boxed
    quoted = _html(client, f"/documents/{seeded.referral}?page=1&start=0&end=20")
    assert quoted.count('class="evidence-box"') >= 1


def test_a_correction_keeps_the_value_as_read(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    csrf = enter_as(client, resources, people[IN])
    before = _html(client, f"/documents/{seeded.spare_referral}")
    read = re.search(r'id="fix-member_id" name="value" value="([^"]*)"', before)
    assert read, "the member id is correctable"
    response = client.post(
        f"/documents/{seeded.spare_referral}/fields/member_id",
        data={"csrf_token": csrf, "value": "QFH000000001", "note": "checked the card"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = _html(client, response.headers["location"])
    item = re.search(r'id="field-member_id".*?</li>', after, re.S)
    assert item and "QFH000000001" in item.group(0)
    assert f'originally read <q class="original">{read.group(1)}</q>' in item.group(0)
    assert "checked the card" in item.group(0)


def test_open_a_case_from_a_referral_page(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    csrf = enter_as(client, resources, people[C])
    page = _html(client, f"/documents/{seeded.spare_referral}")
    assert "Open a case from this referral" in page
    response = client.post(
        f"/documents/{seeded.spare_referral}/case", data={"csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"].startswith("/cases/")
    case_page = _html(client, response.headers["location"])
    assert "Run the agent" in case_page
    assert f"/documents/{seeded.spare_referral}?page=" in case_page  # values link their evidence
    assert "the case was opened from it" in case_page
    again = client.post(
        f"/documents/{seeded.spare_referral}/case", data={"csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert again.status_code == 409 and "already opened case" in again.text


def test_worklist_filters_sorts_and_counts_down(
    client: TestClient, resources: Resources, people: dict[Role, str]
) -> None:
    intake = actor(resources, IN)
    now = utcnow()
    with transaction(resources.db) as session:
        late = CaseEntry(patient_name="Olive Overdue", urgency=Urgency.EXPEDITED,
                         received_at=now - timedelta(hours=80))  # fmt: skip
        overdue = open_case(session, late, actor=intake)
        new = CaseEntry(patient_name="Felix Fresh", urgency=Urgency.STANDARD, received_at=now)
        fresh = open_case(session, new, actor=intake)
    enter_as(client, resources, people[C])
    everything = _html(client, "/worklist")
    assert everything.index(overdue.id) < everything.index(fresh.id)  # overdue first
    row = re.search(rf"<tr>(?:(?!</tr>).)*{overdue.id}.*?</tr>", everything, re.S)
    assert row and 'data-risk="overdue"' in row.group(0) and "overdue by 8 h" in row.group(0)
    expedited = _html(client, "/worklist?urgency=expedited&risk=overdue")
    assert overdue.id in expedited and fresh.id not in expedited
    by_arrival = _html(client, "/worklist?sort=received_at")
    assert by_arrival.index(overdue.id) < by_arrival.index(fresh.id)
    assert client.get("/worklist?risk=someday").status_code == 422


def test_draft_sign_off_in_the_ui_four_eyes_reasons_and_diffs(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    path = f"/drafts/{seeded.draft_id}"
    csrf = enter_as(client, resources, people[C])
    mine = _html(client, path)
    assert 'action="/drafts/' in mine and "Save as a new version" in mine
    assert "Only reviewers sign off drafts." in mine
    edited = client.post(
        f"{path}/edit",
        data={
            "csrf_token": csrf,
            "content": "Cover letter, edited.\nSecond line.\n",
            "version": 1,
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    stale = client.post(
        f"{path}/edit", data={"csrf_token": csrf, "content": "Lost? No.", "version": 1}
    )
    assert stale.status_code == 409 and "Lost? No." in stale.text  # the text stays in the form
    versions = _html(client, path)
    assert '<span class="diff-add">+Cover letter, edited.</span>' in versions
    assert '<span class="diff-del">-Cover letter, first text.</span>' in versions

    csrf = enter_as(client, resources, people[R])
    review = _html(client, path)
    assert "Four eyes" not in review and 'aria-describedby="decide-blocked">Approve' not in review
    no_reason = client.post(f"{path}/reject", data={"csrf_token": csrf, "version": 2})
    assert no_reason.status_code == 422
    sent_back = client.post(
        f"{path}/request-changes",
        data={"csrf_token": csrf, "version": 2, "reason": "Name the policy section."},
        follow_redirects=False,
    )
    assert sent_back.status_code == 303
    after = _html(client, sent_back.headers["location"])
    assert "Sent back to the coordinator" in after and "Name the policy section." in after

    csrf = enter_as(client, resources, people[A])  # admins may edit and approve, not both
    edit = {"csrf_token": csrf, "content": "By the admin.\n", "version": 3}
    assert client.post(f"{path}/edit", data=edit, follow_redirects=False).status_code == 303
    blocked = _html(client, path)
    assert (
        "Four eyes" in blocked and 'disabled aria-describedby="decide-blocked">Approve' in blocked
    )


def test_the_copilot_answers_without_javascript_and_says_when_it_abstains(
    client: TestClient, resources: Resources, people: dict[Role, str]
) -> None:
    csrf = enter_as(client, resources, people[C])
    response = client.post(
        "/copilot", data={"csrf_token": csrf, "question": "Is an MRI covered on Mondays?"}
    )
    assert response.status_code == 200
    assert 'data-note="abstained"' in response.text  # this installation has no rules loaded
    thread = re.search(r'data-thread="([^"]+)"', response.text)
    assert thread
    listed = _html(client, f"/copilot?thread={thread.group(1)}")
    assert "Is an MRI covered on Mondays?" in listed
    enter_as(client, resources, people[R])
    assert client.get(f"/copilot?thread={thread.group(1)}").status_code == 404  # not yours


def test_the_agent_button_follows_the_run_until_it_ends(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    csrf = enter_as(client, resources, people[C])
    started = client.post(
        f"/cases/{seeded.case_id}/agent-runs",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert started.status_code == 200 and 'id="agent-run"' in started.text
    poll = re.search(r'hx-get="(/cases/[^"]+/agent-runs/([^"]+))"', started.text)
    assert poll, "a queued run polls itself"
    # This installation has no payer rules loaded: the run says why it cannot go on.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fragment = client.get(poll.group(1), headers={"HX-Request": "true"})
        if "knowledge base is not loaded" in fragment.text:
            break
        time.sleep(0.2)
    assert "knowledge base is not loaded" in fragment.text and "HX-Trigger" not in fragment.headers
    RunRecorder(resources.db, poll.group(2), 0.8).failed("stopped by the test", final=True)
    ended = client.get(poll.group(1), headers={"HX-Request": "true"})
    assert ended.headers.get("HX-Trigger") == "caredesk-agent-finished"  # the page refreshes
    assert 'data-status="failed"' in ended.text and "hx-get" not in ended.text


def test_the_compliance_trail_of_a_draft(
    client: TestClient, resources: Resources, people: dict[Role, str], seeded: Seeded
) -> None:
    enter_as(client, resources, people[R])
    trail = _html(client, f"/compliance/drafts/{seeded.draft_id}")
    assert 'data-trail="prompt"' not in trail  # a person wrote it: no prompt
    assert "draft.create" in trail and "Versions and changes" in trail
    search = _html(client, f"/compliance?object_type=draft&object_id={seeded.draft_id}")
    assert f'href="/compliance/drafts/{seeded.draft_id}"' in search
