"""Case work for the page tests, set up through the real services: synthetic referrals read by
the ingestion jobs, cases opened from them, agent runs, sign-offs. Browser tests start from
this state instead of clicking through the setup."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.copilot.support import SHIPPED_KB, load_keeping_vectors
from tests.web.live import LiveServer, serve
from tests.web.support import username_for, web_settings

from caredesk.accounts.service import get_user
from caredesk.agent.runner import start_and_run
from caredesk.api.resources import Resources
from caredesk.audit.log import Actor
from caredesk.domain.documents import DocumentStatus
from caredesk.domain.roles import Role
from caredesk.ingest.intake import accept_upload
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.outbox.send import send
from caredesk.review.drafts import approve_draft, edit_draft
from caredesk.review.records import DraftQuery, get_draft, list_drafts
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import Document
from caredesk.synthetic import generate_case_bundle
from caredesk.worklist.cases import attach_document, open_case_from_document

SERVICE = "sleep-study-lab"
SETTLED = {DocumentStatus.READY.value, DocumentStatus.NEEDS_ATTENTION.value}


def kb_web_settings(data_dir: Path) -> Settings:
    """The web tests' settings over a data directory holding the shipped knowledge base
    (its passage vectors come from the copilot tests' cache when present)."""
    settings = web_settings(data_dir, kb_path=SHIPPED_KB)
    load_keeping_vectors(settings, SHIPPED_KB, MiniLmEmbedder())
    return settings


def actor(resources: Resources, role: Role) -> Actor:
    with resources.read_db() as session:
        user = get_user(session, username_for(role))
        return Actor(user.id, user.role)


def upload(resources: Resources, name: str, content: bytes, by: Actor) -> str:
    """Store a paper as an upload would; the live server's job worker reads it."""
    accepted = accept_upload(
        resources.db, resources.blobs, resources.queue,
        filename=name, chunks=[content], max_bytes=20 << 20, actor=by,
    )  # fmt: skip
    return accepted.document.id


def wait_until_read(resources: Resources, ids: list[str], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with resources.read_db() as session:
            statuses = [session.get(Document, doc_id).status for doc_id in ids]  # type: ignore[union-attr]
        if all(status in SETTLED for status in statuses):
            return
        if any(status == DocumentStatus.FAILED.value for status in statuses):
            raise AssertionError(f"a paper could not be read: {statuses}")
        time.sleep(0.2)
    raise AssertionError(f"papers not read in {timeout_s} s")


@dataclass
class SeededCase:
    case_id: str
    document_ids: list[str]
    draft_ids: list[str] = field(default_factory=list)


def seed_case(resources: Resources, seed: int, *, with_note: bool, by: Actor) -> SeededCase:
    """A complete sleep-study bundle uploaded, read, and opened as a case."""
    bundle = generate_case_bundle(seed, "complete", service=SERVICE, with_note=with_note)
    ids = [upload(resources, paper.file_name, paper.content, by) for paper in bundle.documents]
    wait_until_read(resources, ids)
    with transaction(resources.db) as session:
        case = open_case_from_document(session, ids[0], actor=by)
        for document_id in ids[1:]:
            attach_document(session, case.id, document_id, actor=by)
    return SeededCase(case.id, ids)


def run_agent(resources: Resources, case: SeededCase, by: Actor) -> None:
    """The agent in the foreground, as `caredesk case run` runs it; its drafts recorded."""
    run = start_and_run(resources.agent_deps(), case.case_id, by)
    assert run.status == "completed", run
    with resources.read_db() as session:
        drafts, _ = list_drafts(session, DraftQuery(case_id=case.case_id))
    case.draft_ids = [draft.id for draft in drafts]
    assert case.draft_ids, "the agent wrote no drafts"


def edit_approve_send(resources: Resources, draft_id: str, editor: Actor, reviewer: Actor) -> None:
    """The coordinator edits the draft (a second version with a diff), a reviewer approves
    it and the coordinator sends it."""
    with transaction(resources.db) as session:
        draft = get_draft(session, draft_id)
        content = draft.content + "\nReviewed against the policy by the coordinator.\n"
        edited = edit_draft(
            session, draft_id, content, expected_version=draft.version, actor=editor
        )
        approved = approve_draft(session, draft_id, expected_version=edited.version, actor=reviewer)
        send(session, draft_id, expected_version=approved.version, actor=editor)


@dataclass
class Casework:
    """The live server and the cases each test starts from."""

    server: LiveServer
    for_coordinator: SeededCase  # read and opened; the coordinator runs the agent in the UI
    for_reviewer: SeededCase  # the coordinator ran the agent: drafts wait for review
    for_compliance: SeededCase  # a draft edited, approved by the reviewer and sent
    for_four_eyes: SeededCase  # the admin ran the agent: the admin may not approve


@contextmanager
def casework(data_dir: Path) -> Iterator[Casework]:
    with serve(kb_web_settings(data_dir)) as server:
        resources = server.resources
        intake, coordinator = actor(resources, Role.INTAKE), actor(resources, Role.COORDINATOR)
        reviewer, admin = actor(resources, Role.REVIEWER), actor(resources, Role.ADMIN)
        cases = Casework(
            server,
            for_coordinator=seed_case(resources, 3, with_note=True, by=intake),
            for_reviewer=seed_case(resources, 2, with_note=False, by=intake),
            for_compliance=seed_case(resources, 4, with_note=False, by=intake),
            for_four_eyes=seed_case(resources, 5, with_note=False, by=intake),
        )
        run_agent(resources, cases.for_reviewer, coordinator)
        run_agent(resources, cases.for_compliance, coordinator)
        run_agent(resources, cases.for_four_eyes, admin)
        edit_approve_send(resources, cases.for_compliance.draft_ids[0], coordinator, reviewer)
        yield cases
