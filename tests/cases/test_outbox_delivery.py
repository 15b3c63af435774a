"""Delivery through the job queue to a real webhook receiver on localhost, with a retry."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.cases.builders import complete_checklist
from tests.cases.conftest import COORDINATOR, REVIEWER_B, open_referral_case, store_referral

from caredesk.api.resources import Resources
from caredesk.audit.log import iter_events
from caredesk.domain.drafts import Audience, DraftKind, Provenance
from caredesk.domain.packets import route
from caredesk.outbox.send import DELIVERED, send
from caredesk.review.drafts import approve_draft, create_draft
from caredesk.storage.db import transaction
from caredesk.storage.models import OutboxMessage
from caredesk.worklist.assessments import record_assessment


class Receiver(ThreadingHTTPServer):
    """A payer-side webhook: records what arrives; answers 503 to the first `failures` posts."""

    def __init__(self, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        self.keys: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/pa-inbox"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.keys.append(self.headers.get("idempotency-key", ""))
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_response(503)
        else:
            self.server.received.append(body)
            self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_approved_draft_is_delivered_after_a_failed_attempt(
    resources: Resources, receiver: Receiver
) -> None:
    referral = store_referral(resources)
    case = open_referral_case(resources, referral)
    checklist = complete_checklist(case.id, referral.document_id, referral.boxes)
    provenance = Provenance(prompt="packet.cover_letter@3", engine="offline", confidence=0.95)
    with transaction(resources.db) as session:
        record_assessment(
            session, case.id, checklist, route(checklist, 0.95, 0.8), provenance, actor=COORDINATOR
        )
        draft = create_draft(
            session,
            case.id,
            DraftKind.PACKET,
            Audience.PAYER,
            "Packet for 72148.",
            provenance,
            None,
            COORDINATOR,
        )
        approved = approve_draft(session, draft.id, expected_version=1, actor=REVIEWER_B)
        receipt = send(
            session,
            draft.id,
            expected_version=approved.version,
            actor=COORDINATOR,
            queue=resources.queue,
            webhook_url=receiver.url,
        )
    assert (receipt.channel, receipt.status) == ("webhook", "queued")
    resources.start_workers()
    deadline, message = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        with resources.read_db() as session:
            message = session.get(OutboxMessage, receipt.message_id)
        if message is not None and message.status == DELIVERED:
            break
        time.sleep(0.2)
    assert message is not None and message.status == DELIVERED and message.attempts == 2
    [delivered] = receiver.received
    assert delivered["draft_id"] == draft.id and delivered["content"] == "Packet for 72148."
    assert delivered["approved_by"] == REVIEWER_B.id and delivered["sent_by"] == COORDINATOR.id
    assert receiver.keys == [receipt.message_id] * 2  # the same idempotency key on the retry
    with resources.read_db() as session:
        actions = [e.action for e in iter_events(session, object_id=receipt.message_id)]
        statuses = [
            e.details["after"]
            for e in iter_events(session, object_id=case.id, action="case.status")
        ]
    assert actions == ["outbox.delivery_failed", "outbox.delivered"]
    assert statuses[-1] == "submitted"  # a packet sent to the payer submits the case
