"""The single way out: `send` an approved draft, and the job that delivers it.

`send` is the only code that moves a draft to `sent` and the only code that queues a delivery;
`deliver` (the job) is the only caller of the webhook, and checks again that the message's
draft was approved and sent. A structural test keeps it so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caredesk.audit.log import SYSTEM, Actor, record
from caredesk.domain.cases import CaseStatus
from caredesk.domain.drafts import (
    DRAFT_SENDERS,
    Audience,
    Draft,
    DraftAction,
    DraftKind,
    DraftState,
    ReviewDecision,
    next_state,
)
from caredesk.domain.errors import Conflict, InputRejected, NotFound, UpstreamUnavailable
from caredesk.jobs.queue import JobQueue
from caredesk.jobs.runner import Handler, JobContext
from caredesk.outbox.webhook import post_webhook
from caredesk.review.drafts import for_change
from caredesk.review.records import latest_text_version, to_draft
from caredesk.storage.db import transaction
from caredesk.storage.models import DraftRecord, DraftReview, OutboxMessage, utcnow
from caredesk.worklist.cases import change_status
from caredesk.worklist.records import case_record

OUTBOX_JOB = "outbox.deliver"
QUEUED, DELIVERED, FAILED, RECORDED = "queued", "delivered", "failed", "recorded"


class OutboxReceipt(BaseModel):
    """What `send` did: the draft (now sent) and the outbox message that carries it."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    draft: Draft
    channel: str
    status: str


def send(
    session: Session,
    draft_id: str,
    *,
    expected_version: int,
    actor: Actor,
    queue: JobQueue | None = None,
    webhook_url: str = "",
) -> OutboxReceipt:
    """Hand an approved draft to the outbox and mark it `sent`.

    With a webhook URL (`CAREDESK_OUTBOX_WEBHOOK_URL`) a delivery job posts it, with retries;
    without one the message is recorded for a person to transmit (portal, fax). Sending a
    packet to the payer marks the case `submitted`.
    """
    row = for_change(session, draft_id, expected_version, actor, DRAFT_SENDERS, "send drafts")
    after = next_state(DraftState(row.state), DraftAction.SEND)
    approval = _approval(session, row)
    if webhook_url and queue is None:
        raise ValueError("a webhook delivery needs the job queue")
    message = OutboxMessage(
        draft_id=row.id,
        case_id=row.case_id,
        draft_version=approval.draft_version,
        channel="webhook" if webhook_url else "manual",
        target=webhook_url,
        status=QUEUED if webhook_url else RECORDED,
        sent_by=actor.id,
    )
    session.add(message)
    before, row.state = row.state, after.value
    session.flush()
    if webhook_url and queue is not None:
        queue.enqueue(session, OUTBOX_JOB, f"outbox:{message.id}", {"message_id": message.id})
    record(session, actor, "draft.send", "draft", row.id, _sent_details(row, before, message))
    if row.kind == DraftKind.PACKET.value and row.audience == Audience.PAYER.value:
        _mark_submitted(session, row.case_id, actor)
    return OutboxReceipt(
        message_id=message.id,
        draft=to_draft(session, row),
        channel=message.channel,
        status=message.status,
    )


def _approval(session: Session, row: DraftRecord) -> DraftReview:
    """The approval of the draft's current text; without one nothing leaves."""
    latest = session.execute(
        select(DraftReview)
        .where(DraftReview.draft_id == row.id)
        .order_by(DraftReview.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    text_version = latest_text_version(session, row.id)
    if (
        latest is None
        or latest.decision != ReviewDecision.APPROVED.value
        or latest.draft_version != text_version
    ):
        raise Conflict(f"draft {row.id} has no approval of its current text")
    return latest


def _mark_submitted(session: Session, case_id: str, actor: Actor) -> None:
    status = CaseStatus(case_record(session, case_id).status)
    if status in (CaseStatus.NEEDS_REVIEW, CaseStatus.READY):
        change_status(session, case_id, CaseStatus.SUBMITTED, actor=actor, reason="packet sent")


def _sent_details(row: DraftRecord, before: str, message: OutboxMessage) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "kind": row.kind,
        "audience": row.audience,
        "before": before,
        "after": row.state,
        "version": row.version,
        "text_version": message.draft_version,
        "message_id": message.id,
        "channel": message.channel,
        "provenance": row.provenance,
    }


def make_outbox_handler(factory: sessionmaker[Session], *, timeout_s: float = 10.0) -> Handler:
    """The `outbox.deliver` job: post one message; failures retry through the job queue."""

    def handle(ctx: JobContext) -> None:
        deliver(factory, str(ctx.payload["message_id"]), ctx, timeout_s=timeout_s)

    return handle


def deliver(
    factory: sessionmaker[Session], message_id: str, ctx: JobContext, *, timeout_s: float
) -> None:
    """Post the message if it is still owed; record the outcome (never the text) in the audit."""
    with transaction(factory) as session:
        outgoing = _outgoing(session, message_id)
    if outgoing is None:
        return
    target, body = outgoing
    try:
        post_webhook(target, body, timeout_s=timeout_s)
    except UpstreamUnavailable as exc:
        final = ctx.job.attempts >= ctx.job.max_attempts
        with transaction(factory) as session:
            _delivery_failed(session, message_id, exc.reason, final=final)
        raise
    with transaction(factory) as session:
        message = _message(session, message_id)
        message.status, message.delivered_at = DELIVERED, utcnow()
        message.attempts += 1
        details = {"draft_id": message.draft_id, "attempts": message.attempts}
        record(session, SYSTEM, "outbox.delivered", "outbox_message", message_id, details)


def _message(session: Session, message_id: str) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    return message


def _outgoing(session: Session, message_id: str) -> tuple[str, dict[str, Any]] | None:
    """Target and body of a message still to deliver, or None when it already went."""
    message = _message(session, message_id)
    if message.status == DELIVERED or message.channel != "webhook":
        return None
    row = session.get(DraftRecord, message.draft_id)
    if row is None or row.state != DraftState.SENT.value:
        raise InputRejected(f"refusing to deliver {message_id}: its draft is not sent")
    approval = _approval(session, row)
    draft = to_draft(session, row)
    return message.target, {
        "message_id": message.id,
        "case_id": draft.case_id,
        "draft_id": draft.id,
        "kind": draft.kind.value,
        "audience": draft.audience.value,
        "text_version": message.draft_version,
        "content": draft.content,
        "provenance": draft.provenance.model_dump(mode="json"),
        "approved_by": approval.reviewer,
        "approved_at": _iso(approval.created_at),
        "sent_by": message.sent_by,
        "sent_at": _iso(message.created_at),
    }


def _delivery_failed(session: Session, message_id: str, reason: str, *, final: bool) -> None:
    message = _message(session, message_id)
    message.attempts += 1
    message.last_error = reason[:500]
    if final:
        message.status = FAILED
    details = {"draft_id": message.draft_id, "attempts": message.attempts, "error": reason[:200]}
    record(session, SYSTEM, "outbox.delivery_failed", "outbox_message", message_id, details)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
