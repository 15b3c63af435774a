"""Reviewers: the queue of drafts to sign off, one draft beside its evidence, and the
decisions (approve, request changes, reject); coordinators edit and send from the same page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.accounts.service import Principal
from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.resources import Resources
from caredesk.api.routers.drafts import (
    Decision,
    DraftEdit,
    ReasonedDecision,
    approve,
    changes,
    edit,
    reject,
    send_draft,
)
from caredesk.domain.cases import Case
from caredesk.domain.drafts import (
    DRAFT_APPROVERS,
    DRAFT_EDITORS,
    DRAFT_SENDERS,
    Draft,
    DraftState,
)
from caredesk.domain.errors import Conflict, InputRejected
from caredesk.domain.roles import CASE_WORKERS
from caredesk.review.records import DraftQuery, list_drafts
from caredesk.web.rendering import render
from caredesk.web.signoff import draft_page
from caredesk.worklist.assessments import assessment_runners
from caredesk.worklist.records import load_case

router = APIRouter()

PAGE_SIZE = 50
QUEUES = {
    "pending_review": "Waiting for review",
    "changes_requested": "Sent back for changes",
    "approved": "Approved, not sent yet",
}
DONE = {
    "approved": "Approved. A coordinator can now send it.",
    "changes_requested": "Sent back to the coordinator with your reason.",
    "rejected": "Rejected. It will never be sent.",
    "edited": "Saved as a new version. It waits for a reviewer again.",
    "handed_to_outbox": "Sent. The outbox has it; the case is updated.",
}


@dataclass(frozen=True)
class QueueRow:
    draft: Draft
    case: Case
    yours: bool  # the signed-in reviewer wrote or ran it: four eyes rules them out


def _queue(
    resources: Resources, principal: Principal, state: DraftState, offset: int
) -> tuple[list[QueueRow], int]:
    query = DraftQuery(state=state, limit=PAGE_SIZE, offset=offset)
    with resources.read_db() as session:
        drafts, total = list_drafts(session, query)
        rows = []
        for draft in drafts:
            authors = {*draft.authors, *assessment_runners(session, draft.case_id)}
            rows.append(
                QueueRow(draft, load_case(session, draft.case_id), principal.user_id in authors)
            )
    return rows, total


@router.get("/review", dependencies=[allow(DRAFT_APPROVERS)], summary="Review queue")
def review_queue(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    state: Annotated[str, Query(max_length=24)] = "pending_review",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Drafts waiting for sign-off, flagged ones first with the reasons they were flagged."""
    if state not in QUEUES:
        raise InputRejected(f"state must be one of {', '.join(QUEUES)}, got {state!r}")
    rows, total = _queue(resources, principal, DraftState(state), offset)
    context = {
        "rows": rows,
        "total": total,
        "state": state,
        "queues": QUEUES,
        "offset": offset,
        "page_size": PAGE_SIZE,
    }
    return render(request, "review/queue.html", context)


def _draft(
    request: Request,
    resources: Resources,
    principal: Principal,
    draft_id: str,
    *,
    notice: str = "",
    error: str = "",
    proposed: str | None = None,
    status_code: int = 200,
) -> Response:
    page = draft_page(resources, principal, draft_id)
    context = {"page": page, "notice": notice, "error": error, "proposed": proposed}
    return render(request, "review/draft.html", context, status_code=status_code)


@router.get("/drafts/{draft_id}", dependencies=[allow(CASE_WORKERS)], summary="Draft")
def draft(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    done: Annotated[str, Query(max_length=24)] = "",
) -> Response:
    """The draft beside its evidence and sources, its versions with diffs, its reviews, and
    the actions the signed-in person may take now."""
    return _draft(request, resources, principal, draft_id, notice=DONE.get(done, ""))


def _done(draft_id: str, what: str) -> Response:
    return RedirectResponse(f"/drafts/{draft_id}?done={what}", status_code=303)


@router.post("/drafts/{draft_id}/edit", dependencies=[allow(DRAFT_EDITORS)], summary="Edit")
def edit_form(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    content: Annotated[str, Form(min_length=1, max_length=50_000)],
    version: Annotated[int, Form(ge=1)],
) -> Response:
    """Save the text as a new version; a stale version or a blocked field keeps the text in
    the form and says why."""
    try:
        edit(draft_id, DraftEdit(content=content, version=version), resources, principal)
    except (Conflict, InputRejected) as problem:
        status = 409 if isinstance(problem, Conflict) else 422
        return _draft(
            request, resources, principal, draft_id,
            error=problem.reason, proposed=content, status_code=status,
        )  # fmt: skip
    return _done(draft_id, "edited")


@router.post("/drafts/{draft_id}/approve", dependencies=[allow(DRAFT_APPROVERS)], summary="Approve")
def approve_form(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    version: Annotated[int, Form(ge=1)],
) -> Response:
    """Sign off (four eyes: the API refuses the draft's authors and the agent's runner)."""
    approve(draft_id, Decision(version=version), resources, principal)
    return _done(draft_id, "approved")


@router.post(
    "/drafts/{draft_id}/request-changes",
    dependencies=[allow(DRAFT_APPROVERS)],
    summary="Request changes",
)
def changes_form(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    version: Annotated[int, Form(ge=1)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Back to the coordinator, with the reason (required)."""
    changes(draft_id, ReasonedDecision(version=version, reason=reason), resources, principal)
    return _done(draft_id, "changes_requested")


@router.post("/drafts/{draft_id}/reject", dependencies=[allow(DRAFT_APPROVERS)], summary="Reject")
def reject_form(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    version: Annotated[int, Form(ge=1)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Refuse for good, with the reason (required)."""
    reject(draft_id, ReasonedDecision(version=version, reason=reason), resources, principal)
    return _done(draft_id, "rejected")


@router.post("/drafts/{draft_id}/send", dependencies=[allow(DRAFT_SENDERS)], summary="Send")
def send_form(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    draft_id: str,
    version: Annotated[int, Form(ge=1)],
) -> Response:
    """Hand an approved draft to the outbox."""
    send_draft(draft_id, Decision(version=version), resources, principal)
    return _done(draft_id, "handed_to_outbox")
