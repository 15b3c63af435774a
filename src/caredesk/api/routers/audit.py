"""Search the audit log and verify its hash chain (compliance reviewers and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caredesk.api.deps import ResourcesDep, allow
from caredesk.audit.log import iter_events
from caredesk.audit.verify import verify_chain
from caredesk.domain.audit import AuditRecord
from caredesk.domain.roles import AUDITORS

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditPage(BaseModel):
    items: list[AuditRecord]
    next_after: int | None = Field(description="Pass as `after` to get the next page")


class VerifyOut(BaseModel):
    ok: bool
    events: int
    broken_seq: int | None
    reason: str
    summary: str


@router.get(
    "/events",
    dependencies=[allow(AUDITORS)],
    response_model=AuditPage,
    summary="Search audit events",
)
def search_events(
    resources: ResourcesDep,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: Annotated[str | None, Query(description="ISO date or time, inclusive")] = None,
    until: Annotated[str | None, Query(description="ISO date or time, exclusive")] = None,
    after: Annotated[int, Query(ge=0, description="Only events after this sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Events in sequence order, filtered; page with `after`."""
    items: list[AuditRecord] = []
    with resources.read_db() as session:
        for event in iter_events(
            session,
            batch=limit,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            since=since,
            until=until,
            after=after,
        ):
            items.append(event)
            if len(items) >= limit:
                break
    return AuditPage(items=items, next_after=items[-1].seq if len(items) == limit else None)


@router.get(
    "/verify",
    dependencies=[allow(AUDITORS)],
    response_model=VerifyOut,
    summary="Verify the audit hash chain",
)
def verify(resources: ResourcesDep) -> VerifyOut:
    """Recompute every hash; report OK or the first broken event and why."""
    with resources.read_db() as session:
        result = verify_chain(session)
    return VerifyOut(
        ok=result.ok,
        events=result.events,
        broken_seq=result.broken_seq,
        reason=result.reason,
        summary=result.summary(),
    )
