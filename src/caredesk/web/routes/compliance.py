"""Compliance: search the audit log, verify its hash chain, export it as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.resources import Resources
from caredesk.audit.log import iter_events, record
from caredesk.audit.verify import verify_chain
from caredesk.domain.audit import AuditRecord, canonical_json
from caredesk.domain.errors import InputRejected
from caredesk.domain.roles import AUDITORS
from caredesk.storage.db import transaction
from caredesk.storage.models import User
from caredesk.web.rendering import render

router = APIRouter()

PAGE_SIZE = 50
# Objects that have a page of their own; the audit table links to them.
OBJECT_PAGES = {
    "document": "/documents/{}",
    "draft": "/compliance/drafts/{}",
    "case": "/cases/{}",
}


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputRejected(f"{name} must be a date such as 2026-03-01, got {value!r}") from None


@dataclass(frozen=True)
class AuditQuery:
    """The search form's filters; dates are whole days and both ends are inclusive."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    def bounds(self) -> tuple[str | None, str | None]:
        """`since` inclusive and `until` exclusive as the log's ISO timestamps compare."""
        until = self.until + timedelta(days=1) if self.until else None
        return (
            self.since.isoformat() if self.since else None,
            until.isoformat() if until else None,
        )

    def params(self) -> dict[str, str]:
        """The filters as query parameters, for paging links."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


def _actor_id(session: Session, actor: str) -> str:
    """People search by username; the log records user ids. Ids and `system` pass through."""
    if not actor:
        return ""
    user_id = session.execute(
        select(User.id).where(User.username == actor.strip().lower())
    ).scalar_one_or_none()
    return user_id or actor.strip()


def _usernames(session: Session, events: list[AuditRecord]) -> dict[str, str]:
    ids = {event.actor for event in events}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: username for user_id, username in rows}


def _search(
    resources: Resources, query: AuditQuery, after: int
) -> tuple[list[AuditRecord], bool, dict[str, str]]:
    """One page of matching events, whether more follow, and the actors' usernames."""
    since, until = query.bounds()
    events: list[AuditRecord] = []
    with resources.read_db() as session:
        matches = iter_events(
            session,
            batch=PAGE_SIZE + 1,
            since=since,
            until=until,
            after=after,
            actor=_actor_id(session, query.actor) or None,
            action=query.action.strip() or None,
            object_type=query.object_type.strip() or None,
            object_id=query.object_id.strip() or None,
        )
        for event in matches:
            events.append(event)
            if len(events) > PAGE_SIZE:
                break
        names = _usernames(session, events)
    return events[:PAGE_SIZE], len(events) > PAGE_SIZE, names


@router.get("/compliance", dependencies=[allow(AUDITORS)], summary="Audit log")
def compliance(
    request: Request,
    resources: ResourcesDep,
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=64)] = "",
    object_id: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Search the audit log by who, what, which object and when; page through the results."""
    query = AuditQuery(
        actor, action, object_type, object_id, _day(since, "From"), _day(until, "To")
    )
    events, more, names = _search(resources, query, after)
    context = {
        "query": query,
        "params": query.params(),
        "events": events,
        "names": names,
        "after": after,
        "next_after": events[-1].seq if more else None,
        "object_pages": OBJECT_PAGES,
        "details_json": canonical_json,
    }
    return render(request, "compliance/index.html", context)


@router.get("/compliance/verify", dependencies=[allow(AUDITORS)], summary="Chain status (fragment)")
def chain_status(request: Request, resources: ResourcesDep) -> Response:
    """Recompute the hash chain: OK, or the first broken event and why."""
    with resources.read_db() as session:
        result = verify_chain(session)
    checked_at = datetime.now(UTC)
    return render(request, "compliance/_verify.html", {"result": result, "checked_at": checked_at})


def _jsonl(resources: Resources, since: str | None, until: str | None) -> Iterator[bytes]:
    with resources.read_db() as session:
        for event in iter_events(session, since=since, until=until):
            # The same line format as `caredesk audit export`.
            yield (json.dumps(event.model_dump(), sort_keys=True) + "\n").encode("utf-8")


@router.get("/compliance/export", dependencies=[allow(AUDITORS)], summary="Export (JSONL)")
def export(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> StreamingResponse:
    """Download the events of a date range (both ends inclusive) as JSON lines; audited."""
    query = AuditQuery(since=_day(since, "From"), until=_day(until, "To"))
    start, end = query.bounds()
    with transaction(resources.db) as session:
        record(session, principal.actor, "audit.export", "audit_log", "all", query.params())
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _jsonl(resources, start, end),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="caredesk-audit-{stamp}.jsonl"'},
    )
