"""Walk the audit chain and report OK or the first event where it breaks, and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.audit.log import iter_events
from caredesk.domain.audit import GENESIS_HASH, AuditRecord
from caredesk.storage.models import AuditHead


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    broken_seq: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.events} events, chain intact"
        return f"BROKEN at event {self.broken_seq}: {self.reason}"


def _check(event: AuditRecord, expected_seq: int, prev_hash: str) -> str:
    """The reason `event` breaks the chain, or '' when it links correctly."""
    if event.seq != expected_seq:
        return f"expected event {expected_seq} next, found {event.seq} (events missing)"
    if event.prev_hash != prev_hash:
        return "prev_hash does not match the previous event's hash (removed or reordered)"
    if event.compute_hash() != event.hash:
        return "hash does not match the event's contents (edited)"
    return ""


def verify_chain(session: Session) -> VerifyResult:
    prev_hash, expected, count = GENESIS_HASH, 1, 0
    for event in iter_events(session):
        reason = _check(event, expected, prev_hash)
        if reason:
            return VerifyResult(False, count, event.seq, reason)
        prev_hash, expected, count = event.hash, expected + 1, count + 1
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        return VerifyResult(False, count, None, "audit head row is missing")
    if head.seq != count or head.hash != prev_hash:
        return VerifyResult(
            False, count, count + 1, f"head says {head.seq} events; the log ends at {count}"
        )
    return VerifyResult(True, count)
