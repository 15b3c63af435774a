"""Drafts in the database: flags from routing, versions with diffs, sign-off, every step audited."""

from __future__ import annotations

import threading
import time

import pytest
from tests.cases.builders import MEMBER_ID, checklist_for, complete_checklist
from tests.cases.conftest import (
    ADMIN,
    COORDINATOR,
    COORDINATOR_B,
    REVIEWER,
    REVIEWER_B,
    Referral,
    open_referral_case,
    store_referral,
)

from caredesk.api.resources import Resources
from caredesk.audit.log import Actor, iter_events
from caredesk.audit.verify import verify_chain
from caredesk.domain.drafts import Audience, Draft, DraftKind, DraftState, Provenance
from caredesk.domain.errors import Conflict, Forbidden, InputRejected
from caredesk.domain.packets import route
from caredesk.outbox.send import send
from caredesk.review.drafts import (
    approve_draft,
    create_draft,
    edit_draft,
    reject_draft,
    request_changes,
)
from caredesk.storage.db import transaction
from caredesk.worklist.assessments import record_assessment

GENERATED = Provenance(
    prompt="packet.cover_letter@3",
    engine="offline",
    model="templates-v1",
    source_ids=("quillfeather-advanced-imaging@2026.1#Documentation checklist",),
    confidence=0.91,
    run_id="run-42",
)
LETTER = "To Quillfeather Health:\nPlease review the enclosed request for 72148.\n"


def _setup(resources: Resources, *, complete: bool, runner: Actor = COORDINATOR) -> str:
    """A case assessed by `runner` (the person who ran the agent); returns its id."""
    referral: Referral = store_referral(resources)
    case = open_referral_case(resources, referral)
    build = complete_checklist if complete else checklist_for
    checklist = build(case.id, referral.document_id, referral.boxes)
    with transaction(resources.db) as session:
        record_assessment(
            session, case.id, checklist, route(checklist, 0.9, 0.8), GENERATED, actor=runner
        )
    return case.id


def _draft(
    resources: Resources,
    case_id: str,
    *,
    content: str = LETTER,
    provenance: Provenance = GENERATED,
    kind: DraftKind = DraftKind.COVER_LETTER,
    audience: Audience = Audience.PAYER,
    by: Actor = COORDINATOR,
) -> Draft:
    with transaction(resources.db) as session:
        return create_draft(session, case_id, kind, audience, content, provenance, None, by)


def test_drafts_are_flagged_with_the_routings_reasons_or_low_confidence(
    resources: Resources,
) -> None:
    flagged_case = _setup(resources, complete=False)
    flagged = _draft(resources, flagged_case)
    assert (flagged.state, flagged.flagged) == (DraftState.PENDING_REVIEW, True)
    assert flagged.reasons == ("missing: neuro-exam",)
    ready_case = _setup(resources, complete=True)
    ready = _draft(resources, ready_case)
    assert (ready.flagged, ready.reasons) == (False, ())
    unsure = _draft(
        resources, ready_case, provenance=GENERATED.model_copy(update={"confidence": 0.5})
    )
    assert unsure.flagged and "below the review threshold 0.80" in unsure.reasons[0]


def test_a_draft_over_its_audiences_allowance_is_refused_naming_the_field(
    resources: Resources,
) -> None:
    case_id = _setup(resources, complete=False)
    notice = f"Dear patient, your member id {MEMBER_ID} needs one more record."
    with pytest.raises(InputRejected, match="member_id may not be disclosed to the patient"):
        _draft(
            resources,
            case_id,
            content=notice,
            kind=DraftKind.PATIENT_NOTICE,
            audience=Audience.PATIENT,
        )
    draft = _draft(
        resources,
        case_id,
        content="Dear patient, one record is missing.",
        kind=DraftKind.PATIENT_NOTICE,
        audience=Audience.PATIENT,
    )
    with pytest.raises(InputRejected, match="diagnosis_codes"), transaction(resources.db) as s:
        edit_draft(s, draft.id, "It is for M54.16.", expected_version=1, actor=COORDINATOR)
    with pytest.raises(InputRejected, match="not written for"):
        _draft(resources, case_id, kind=DraftKind.PATIENT_NOTICE, audience=Audience.PAYER)


def test_four_eyes_the_agent_runner_and_editors_cannot_approve(resources: Resources) -> None:
    case_id = _setup(resources, complete=True, runner=REVIEWER)
    draft = _draft(resources, case_id)
    with pytest.raises(Forbidden, match="four eyes"), transaction(resources.db) as session:
        approve_draft(session, draft.id, expected_version=draft.version, actor=REVIEWER)
    with transaction(resources.db) as session:
        edited = edit_draft(
            session, draft.id, LETTER + "Thank you.\n", expected_version=1, actor=ADMIN
        )
    with pytest.raises(Forbidden, match="four eyes"), transaction(resources.db) as session:
        approve_draft(session, draft.id, expected_version=edited.version, actor=ADMIN)
    with pytest.raises(Forbidden, match="may not approve"), transaction(resources.db) as s:
        approve_draft(s, draft.id, expected_version=edited.version, actor=COORDINATOR_B)
    with transaction(resources.db) as session:
        approved = approve_draft(
            session, draft.id, expected_version=edited.version, actor=REVIEWER_B
        )
    assert approved.state is DraftState.APPROVED
    assert approved.reviews[-1].reviewer == REVIEWER_B.id


def test_illegal_transitions_are_refused_and_sent_needs_an_approval(
    resources: Resources,
) -> None:
    case_id = _setup(resources, complete=True)
    draft = _draft(resources, case_id)
    pending = "cannot send a draft that is pending_review"
    with pytest.raises(Conflict, match=pending), transaction(resources.db) as session:
        send(session, draft.id, expected_version=1, actor=COORDINATOR)
    needs_reason = pytest.raises(InputRejected, match="reason is required")
    for decide in (request_changes, reject_draft):
        with needs_reason, transaction(resources.db) as session:
            decide(session, draft.id, expected_version=1, actor=REVIEWER, reason="  ")
    with transaction(resources.db) as session:
        rejected = reject_draft(
            session, draft.id, expected_version=1, actor=REVIEWER, reason="wrong service"
        )
    for attempt in (
        lambda s: approve_draft(s, draft.id, expected_version=rejected.version, actor=REVIEWER),
        lambda s: edit_draft(s, draft.id, "x", expected_version=rejected.version, actor=ADMIN),
        lambda s: send(s, draft.id, expected_version=rejected.version, actor=COORDINATOR),
    ):
        with pytest.raises(Conflict, match="rejected"), transaction(resources.db) as session:
            attempt(session)


def test_the_whole_path_is_versioned_and_audited(db_resources: Resources) -> None:
    case_id = _setup(db_resources, complete=False)
    draft = _draft(db_resources, case_id)
    with transaction(db_resources.db) as session:
        back = request_changes(
            session, draft.id, expected_version=1, actor=REVIEWER, reason="cite the neuro exam"
        )
        edited = edit_draft(
            session,
            draft.id,
            LETTER + "Neuro exam attached.\n",
            expected_version=back.version,
            actor=COORDINATOR_B,
        )
        approved = approve_draft(
            session, draft.id, expected_version=edited.version, actor=REVIEWER_B
        )
        receipt = send(session, draft.id, expected_version=approved.version, actor=COORDINATOR)
    final = receipt.draft
    assert final.state is DraftState.SENT and receipt.channel == "manual"
    assert [v.number for v in final.versions] == [1, 2]
    assert "+Neuro exam attached." in final.versions[1].diff
    assert final.versions[1].author == COORDINATOR_B.id
    assert [r.decision.value for r in final.reviews] == ["changes_requested", "approved"]
    with db_resources.read_db() as session:
        events = list(iter_events(session, object_id=draft.id))
        assert verify_chain(session).ok
    assert [(e.action, e.details["before"], e.details["after"]) for e in events] == [
        ("draft.create", None, "pending_review"),
        ("draft.changes_requested", "pending_review", "changes_requested"),
        ("draft.edit", "changes_requested", "pending_review"),
        ("draft.approved", "pending_review", "approved"),
        ("draft.send", "approved", "sent"),
    ]
    for event in events:
        assert event.details["provenance"]["prompt"] == "packet.cover_letter@3"
        assert event.details["provenance"]["source_ids"] == list(GENERATED.source_ids)
        assert "content" not in event.details and LETTER not in str(event.details)


def test_concurrent_edits_one_wins_the_other_gets_a_conflict(db_resources: Resources) -> None:
    draft = _draft(db_resources, _setup(db_resources, complete=True))
    first_saved, outcomes = threading.Event(), {}

    def first() -> None:
        with transaction(db_resources.db) as session:
            edit_draft(session, draft.id, LETTER + "A\n", expected_version=1, actor=COORDINATOR)
            first_saved.set()
            time.sleep(0.4)  # hold the transaction while the second editor tries
        outcomes["first"] = "saved"

    def second() -> None:
        first_saved.wait(5)
        try:
            with transaction(db_resources.db) as session:
                edit_draft(session, draft.id, LETTER + "B\n", expected_version=1, actor=ADMIN)
            outcomes["second"] = "saved"
        except Conflict as exc:
            outcomes["second"] = exc.reason

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcomes["first"] == "saved"
    assert "changed meanwhile" in outcomes["second"]
