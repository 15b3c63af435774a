"""Record audit events in the caller's transaction, chaining each to the one before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caredesk.domain.audit import AuditRecord, canonical_json, check_details
from caredesk.storage.models import AuditEvent, AuditHead


@dataclass(frozen=True)
class Actor:
    """Who did it: a user id (or `system`) and the role they acted in."""

    id: str
    role: str


SYSTEM = Actor("system", "system")


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one event inside the caller's transaction.

    The head row is updated first: that takes the row lock (PostgreSQL) or the write lock
    (SQLite), so concurrent appends queue up and the chain never forks.
    """
    details = details or {}
    check_details(details)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    session.refresh(head)
    event = AuditRecord(
        seq=head.seq,
        ts=_now_iso(),
        actor=actor.id,
        role=actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=json.loads(canonical_json(details)),
        prev_hash=head.hash,
    )
    event = event.model_copy(update={"hash": event.compute_hash()})
    session.add(AuditEvent(**{**event.model_dump(), "details": canonical_json(event.details)}))
    head.hash = event.hash
    session.flush()
    return event


def to_record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        role=row.role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        details=json.loads(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def iter_events(
    session: Session,
    *,
    batch: int = 1000,
    since: str | None = None,
    until: str | None = None,
    after: int = 0,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> Iterator[AuditRecord]:
    """Events in sequence order, read in batches. `since` is inclusive and `until` exclusive
    (ISO strings); `after` is a sequence number; the other filters match exactly."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if since:
        query = query.where(AuditEvent.ts >= since)
    if until:
        query = query.where(AuditEvent.ts < until)
    exact = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id}
    for column, value in exact.items():
        if value:
            query = query.where(getattr(AuditEvent, column) == value)
    last = after
    while True:
        rows = session.execute(query.where(AuditEvent.seq > last).limit(batch)).scalars().all()
        if not rows:
            return
        for row in rows:
            yield to_record(row)
        last = rows[-1].seq
