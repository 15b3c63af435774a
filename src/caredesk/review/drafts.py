"""Drafts: create (disclosure-checked, flagged by routing), edit as versions, and sign off.

Who may do what (checked here and at the API):

| action                         | roles               | rule                                   |
|--------------------------------|---------------------|----------------------------------------|
| create (the agent, by hand)    | any signed-in actor | the actor is recorded as an author     |
| edit                           | coordinator, admin  | needs the current `version`            |
| approve                        | reviewer, admin     | four eyes: not an author, not a runner |
| request changes / reject       | reviewer, admin     | a reason is required                   |
| send (see `caredesk.outbox`)   | coordinator, admin  | only from `approved`                   |

The disclosure check runs on create, edit and approve and names the field it blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from caredesk.audit.log import Actor, record
from caredesk.domain.cases import Case
from caredesk.domain.disclosure import check_disclosure
from caredesk.domain.drafts import (
    AUDIENCES_BY_KIND,
    DRAFT_APPROVERS,
    DRAFT_EDITORS,
    Audience,
    Draft,
    DraftAction,
    DraftKind,
    DraftState,
    Provenance,
    ReviewDecision,
    next_state,
    unified_diff,
)
from caredesk.domain.errors import Conflict, Forbidden, InputRejected
from caredesk.domain.packets import Routing
from caredesk.domain.roles import Role, may_approve
from caredesk.review.records import draft_record, latest_text_version, to_draft
from caredesk.storage.models import DraftRecord, DraftReview, DraftVersionRecord
from caredesk.worklist.assessments import assessment_runners, latest_assessment
from caredesk.worklist.records import load_case

DEFAULT_REVIEW_THRESHOLD = 0.80


def create_draft(
    session: Session,
    case_id: str,
    kind: DraftKind,
    audience: Audience,
    content: str,
    provenance: Provenance,
    flags: Routing | None,
    created_by: Actor,
    *,
    fields_used: Iterable[str] = (),
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    checklist_run_id: str | None = None,
) -> Draft:
    """A new draft in `pending_review`, version 1.

    `flags` is the routing of the assessment the draft came from (the case's latest when
    None): any reason there, or `provenance.confidence` under `review_threshold`
    (`CAREDESK_REVIEW_THRESHOLD`), flags the draft. Unflagged drafts still need one approval.
    """
    if audience not in AUDIENCES_BY_KIND[kind]:
        raise InputRejected(f"a {kind.value} is not written for the {audience.value}")
    if not content.strip():
        raise InputRejected("a draft needs some text")
    fields = tuple(dict.fromkeys(fields_used))
    case = load_case(session, case_id)
    _check_disclosure(case, audience, fields, content)
    if flags is None:
        flags, checklist_run_id = _latest_routing(session, case_id, checklist_run_id)
    reasons = _flag_reasons(flags, provenance, review_threshold)
    row = DraftRecord(
        case_id=case.id,
        kind=kind.value,
        audience=audience.value,
        state=DraftState.PENDING_REVIEW.value,
        content=content,
        fields_used=list(fields),
        provenance=provenance.model_dump(mode="json"),
        flagged=bool(reasons),
        reasons=reasons,
        created_by=created_by.id,
        checklist_run_id=checklist_run_id,
    )
    session.add(row)
    session.flush()
    session.add(_version(row.id, 1, content, "", fields, created_by.id))
    session.flush()
    _audit(session, created_by, "draft.create", row, before=None, extra={"reasons": reasons})
    return to_draft(session, row)


def _latest_routing(
    session: Session, case_id: str, run_id: str | None
) -> tuple[Routing | None, str | None]:
    assessed = latest_assessment(session, case_id)
    if assessed is None:
        return None, run_id
    return assessed.routing, run_id or assessed.id


def _flag_reasons(flags: Routing | None, provenance: Provenance, threshold: float) -> list[str]:
    reasons = list(flags.reasons) if flags is not None else []
    if provenance.confidence < threshold and not any("confidence" in r for r in reasons):
        reasons.append(
            f"confidence {provenance.confidence:.2f} is below the review threshold {threshold:.2f}"
        )
    if flags is not None and flags.flagged and not reasons:
        reasons.append("the assessment routed the case to review")
    return reasons


def edit_draft(
    session: Session,
    draft_id: str,
    content: str,
    *,
    expected_version: int,
    actor: Actor,
    fields_used: Iterable[str] | None = None,
) -> Draft:
    """Save a new text as the next version, with its diff; the editor becomes an author."""
    row = for_change(session, draft_id, expected_version, actor, DRAFT_EDITORS, "edit drafts")
    after = next_state(DraftState(row.state), DraftAction.EDIT)
    fields = (
        tuple(dict.fromkeys(fields_used)) if fields_used is not None else tuple(row.fields_used)
    )
    if content == row.content and list(fields) == list(row.fields_used):
        raise InputRejected("the edit changes nothing")
    if not content.strip():
        raise InputRejected("a draft needs some text")
    _check_disclosure(load_case(session, row.case_id), Audience(row.audience), fields, content)
    number = latest_text_version(session, row.id) + 1
    diff = unified_diff(row.content, content, number - 1, number)
    session.add(_version(row.id, number, content, diff, fields, actor.id))
    before = row.state
    row.state, row.content, row.fields_used = after.value, content, list(fields)
    _flush(session, row)
    _audit(session, actor, "draft.edit", row, before=before, extra={"text_version": number})
    return to_draft(session, row)


def approve_draft(session: Session, draft_id: str, *, expected_version: int, actor: Actor) -> Draft:
    """Sign off: the draft may now be sent. Four eyes and the disclosure check apply."""
    row = for_change(session, draft_id, expected_version, actor, DRAFT_APPROVERS, "approve")
    after = next_state(DraftState(row.state), DraftAction.APPROVE)
    authors = {*to_draft(session, row).authors, *assessment_runners(session, row.case_id)}
    if not may_approve(actor.id, authors):
        raise Forbidden(
            "four eyes: you generated this draft, ran the agent for its case or edited it; "
            "another reviewer must approve it",
            draft_id=row.id,
        )
    case = load_case(session, row.case_id)
    _check_disclosure(case, Audience(row.audience), row.fields_used, row.content)
    return _decide(session, row, after, ReviewDecision.APPROVED, actor, "")


def request_changes(
    session: Session, draft_id: str, *, expected_version: int, actor: Actor, reason: str
) -> Draft:
    """Send the draft back to its editors with a reason."""
    row = for_change(session, draft_id, expected_version, actor, DRAFT_APPROVERS, "review")
    after = next_state(DraftState(row.state), DraftAction.REQUEST_CHANGES)
    return _decide(session, row, after, ReviewDecision.CHANGES_REQUESTED, actor, _reason(reason))


def reject_draft(
    session: Session, draft_id: str, *, expected_version: int, actor: Actor, reason: str
) -> Draft:
    """Refuse the draft for good; the reason is kept with the review."""
    row = for_change(session, draft_id, expected_version, actor, DRAFT_APPROVERS, "reject")
    after = next_state(DraftState(row.state), DraftAction.REJECT)
    return _decide(session, row, after, ReviewDecision.REJECTED, actor, _reason(reason))


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputRejected("a reason is required")
    return reason.strip()


def _decide(
    session: Session,
    row: DraftRecord,
    after: DraftState,
    decision: ReviewDecision,
    actor: Actor,
    reason: str,
) -> Draft:
    text_version = latest_text_version(session, row.id)
    session.add(
        DraftReview(
            draft_id=row.id,
            draft_version=text_version,
            decision=decision.value,
            reason=reason,
            reviewer=actor.id,
        )
    )
    before = row.state
    row.state = after.value
    _flush(session, row)
    extra = {"reason": reason, "text_version": text_version}
    _audit(session, actor, f"draft.{decision.value}", row, before=before, extra=extra)
    return to_draft(session, row)


def for_change(
    session: Session,
    draft_id: str,
    expected_version: int,
    actor: Actor,
    roles: frozenset[Role],
    doing: str,
) -> DraftRecord:
    """The draft row, once the actor's role and the version they saw are checked."""
    if actor.role not in {role.value for role in roles}:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise Forbidden(f"role {actor.role!r} may not {doing} (allowed: {allowed})")
    row = draft_record(session, draft_id)
    check_version(row, expected_version)
    return row


def check_version(row: DraftRecord, expected_version: int) -> None:
    if row.version != expected_version:
        raise Conflict(
            f"draft {row.id} changed meanwhile (now version {row.version}, you sent "
            f"{expected_version}); reload it and try again",
            current_version=row.version,
        )


def _flush(session: Session, row: DraftRecord) -> None:
    """Write the change; another writer's commit since we read the row is a Conflict."""
    draft_id = row.id  # read now: a failed flush expires the row
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"draft {draft_id} changed meanwhile; reload it and try again") from None


def _check_disclosure(case: Case, audience: Audience, fields: Iterable[str], text: str) -> None:
    violations = check_disclosure(audience, list(fields), text, case)
    if violations:
        raise InputRejected(
            "blocked by the minimum-necessary check: "
            + "; ".join(violation.message for violation in violations),
            fields=[violation.field for violation in violations],
            audience=audience.value,
        )


def _version(
    draft_id: str, number: int, content: str, diff: str, fields: Iterable[str], author: str
) -> DraftVersionRecord:
    return DraftVersionRecord(
        draft_id=draft_id,
        number=number,
        content=content,
        diff=diff,
        fields_used=list(fields),
        author=author,
    )


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    row: DraftRecord,
    *,
    before: str | None,
    extra: dict[str, Any],
) -> None:
    """Before/after state, the version, and the provenance of the text (never the text)."""
    details = {
        "case_id": row.case_id,
        "kind": row.kind,
        "audience": row.audience,
        "before": before,
        "after": row.state,
        "version": row.version,
        "flagged": row.flagged,
        "fields_used": list(row.fields_used),
        "chars": len(row.content),
        "provenance": row.provenance,
        **extra,
    }
    record(session, actor, action, "draft", row.id, details)
