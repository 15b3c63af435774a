"""Drafts and sign-off: read with versions and diffs, edit, approve, request changes, reject, send.

| route                                   | coordinator | reviewer | admin |
|-----------------------------------------|:-----------:|:--------:|:-----:|
| GET  /drafts, /drafts/{id}              |      x      |    x     |   x   |
| PATCH /drafts/{id} (edit, new version)  |      x      |          |   x   |
| POST /drafts/{id}/approve               |             |    x     |   x   |
| POST /drafts/{id}/request-changes       |             |    x     |   x   |
| POST /drafts/{id}/reject                |             |    x     |   x   |
| POST /drafts/{id}/send                  |      x      |          |   x   |

Every change carries the `version` the caller saw: a stale one is 409. Four eyes: whoever
generated a draft, ran the agent for its case or edited it gets 403 on approve, with the
reason. A draft carrying a field its audience may not see is 422, naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.domain.drafts import (
    DRAFT_APPROVERS,
    DRAFT_EDITORS,
    DRAFT_SENDERS,
    Audience,
    Draft,
    DraftKind,
    DraftState,
    Provenance,
)
from caredesk.domain.roles import CASE_WORKERS
from caredesk.outbox.send import send
from caredesk.review.drafts import approve_draft, edit_draft, reject_draft, request_changes
from caredesk.review.records import DraftQuery, get_draft, list_drafts
from caredesk.storage.db import transaction

router = APIRouter(prefix="/drafts", tags=["drafts"])


class DraftSummary(BaseModel):
    id: str
    case_id: str
    kind: DraftKind
    audience: Audience
    state: DraftState
    version: int
    text_version: int
    flagged: bool
    reasons: list[str]
    provenance: Provenance
    created_by: str
    created_at: datetime
    updated_at: datetime


class DraftPage(BaseModel):
    items: list[DraftSummary]
    total: int
    limit: int
    offset: int


class DraftEdit(BaseModel):
    content: str = Field(min_length=1)
    version: int = Field(description="The draft version you edited (409 if stale)")
    fields_used: list[str] | None = Field(
        None, description="Case fields the text uses; omitted: as before"
    )


class Decision(BaseModel):
    version: int = Field(description="The draft version you reviewed (409 if stale)")


class ReasonedDecision(Decision):
    reason: str = Field(min_length=1, description="Why: required, kept with the review")


class SendReceipt(BaseModel):
    message_id: str
    channel: str = Field(description="`webhook` (delivered by a job) or `manual`")
    status: str
    draft: Draft


def _summary(draft: Draft) -> DraftSummary:
    return DraftSummary(**draft.model_dump(exclude={"versions", "reviews", "content"}))


@router.get(
    "",
    dependencies=[allow(CASE_WORKERS)],
    response_model=DraftPage,
    summary="List drafts (the review queue: `state=pending_review`)",
)
def drafts(
    resources: ResourcesDep,
    case_id: str | None = None,
    state: DraftState | None = None,
    kind: DraftKind | None = None,
    flagged: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DraftPage:
    """Flagged drafts first (with their reasons), then oldest first."""
    query = DraftQuery(
        case_id=case_id, state=state, kind=kind, flagged=flagged, limit=limit, offset=offset
    )
    with resources.read_db() as session:
        found, total = list_drafts(session, query)
    return DraftPage(items=[_summary(d) for d in found], total=total, limit=limit, offset=offset)


@router.get(
    "/{draft_id}",
    dependencies=[allow(CASE_WORKERS)],
    response_model=Draft,
    summary="One draft with every version, its diff, the reviews and the provenance",
)
def draft(draft_id: str, resources: ResourcesDep) -> Draft:
    """Current text and state; each version with its unified diff and author; each review
    with its decision and reason; where the text came from (prompt id@version, engine,
    model, sources, confidence)."""
    with resources.read_db() as session:
        return get_draft(session, draft_id)


@router.patch(
    "/{draft_id}",
    dependencies=[allow(DRAFT_EDITORS)],
    response_model=Draft,
    summary="Edit a draft (saved as a new version with a diff)",
    responses={409: {"description": "Stale version, or the draft cannot be edited now"}},
)
def edit(
    draft_id: str, body: DraftEdit, resources: ResourcesDep, principal: CurrentPrincipal
) -> Draft:
    """Allowed while pending review or after changes were requested (back to pending review).
    The editor becomes an author and cannot approve the draft."""
    with transaction(resources.db) as session:
        return edit_draft(
            session,
            draft_id,
            body.content,
            expected_version=body.version,
            actor=principal.actor,
            fields_used=body.fields_used,
        )


@router.post(
    "/{draft_id}/approve",
    dependencies=[allow(DRAFT_APPROVERS)],
    response_model=Draft,
    summary="Approve a draft (four eyes)",
    responses={403: {"description": "You generated, ran the agent for, or edited this draft"}},
)
def approve(
    draft_id: str, body: Decision, resources: ResourcesDep, principal: CurrentPrincipal
) -> Draft:
    """Sign-off: only an approved draft can be sent."""
    with transaction(resources.db) as session:
        return approve_draft(
            session, draft_id, expected_version=body.version, actor=principal.actor
        )


@router.post(
    "/{draft_id}/request-changes",
    dependencies=[allow(DRAFT_APPROVERS)],
    response_model=Draft,
    summary="Send a draft back for changes (reason required)",
)
def changes(
    draft_id: str, body: ReasonedDecision, resources: ResourcesDep, principal: CurrentPrincipal
) -> Draft:
    """The draft goes to `changes_requested`; an edit puts it back to pending review."""
    with transaction(resources.db) as session:
        return request_changes(
            session,
            draft_id,
            expected_version=body.version,
            actor=principal.actor,
            reason=body.reason,
        )


@router.post(
    "/{draft_id}/reject",
    dependencies=[allow(DRAFT_APPROVERS)],
    response_model=Draft,
    summary="Reject a draft (reason required)",
)
def reject(
    draft_id: str, body: ReasonedDecision, resources: ResourcesDep, principal: CurrentPrincipal
) -> Draft:
    """Final: a rejected draft is never sent."""
    with transaction(resources.db) as session:
        return reject_draft(
            session,
            draft_id,
            expected_version=body.version,
            actor=principal.actor,
            reason=body.reason,
        )


@router.post(
    "/{draft_id}/send",
    dependencies=[allow(DRAFT_SENDERS)],
    response_model=SendReceipt,
    summary="Send an approved draft",
    responses={409: {"description": "The draft is not approved, or the version is stale"}},
)
def send_draft(
    draft_id: str, body: Decision, resources: ResourcesDep, principal: CurrentPrincipal
) -> SendReceipt:
    """Only from `approved`. With a webhook configured a job delivers it (with retries);
    otherwise it is recorded for a person to transmit. The draft becomes `sent`."""
    webhook_url = resources.settings.outbox_webhook_url
    with transaction(resources.db) as session:
        receipt = send(
            session,
            draft_id,
            expected_version=body.version,
            actor=principal.actor,
            queue=resources.queue,
            webhook_url=webhook_url,
        )
    return SendReceipt(
        message_id=receipt.message_id,
        channel=receipt.channel,
        status=receipt.status,
        draft=receipt.draft,
    )
