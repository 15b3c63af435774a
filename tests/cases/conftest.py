"""Fixtures for case tests: resources on SQLite and PostgreSQL, a stored referral, actors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.cases.builders import extraction_for, referral_pdf

from caredesk.api.resources import Resources
from caredesk.audit.log import Actor
from caredesk.domain.cases import Case
from caredesk.domain.documents import BoundingBox, DocumentStatus, ExtractionResult
from caredesk.domain.roles import Role
from caredesk.ingest.intake import sniff_media_type
from caredesk.ingest.store import save_extraction
from caredesk.outbox.page_images import page_count
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import Document, User
from caredesk.worklist.cases import open_case_from_extraction

INTAKE = Actor("usr_intake0000001", "intake")
COORDINATOR = Actor("usr_coordinator01", "coordinator")
COORDINATOR_B = Actor("usr_coordinator02", "coordinator")
REVIEWER = Actor("usr_reviewer00001", "reviewer")
REVIEWER_B = Actor("usr_reviewer00002", "reviewer")
ADMIN = Actor("usr_admin00000001", "admin")


@dataclass(frozen=True)
class Referral:
    document_id: str
    extraction: ExtractionResult
    boxes: dict[str, BoundingBox]


def upload(resources: Resources, content: bytes, filename: str) -> str:
    """A stored document as ingestion leaves one (blob and row), with no ingestion job: the
    tests decide what was extracted, and no background job races them."""
    digest = resources.blobs.put_bytes(content)
    media_type = sniff_media_type(content[:1024]) or "application/octet-stream"
    with transaction(resources.db) as session:
        document = Document(
            sha256=digest,
            filename=filename,
            media_type=media_type,
            size_bytes=len(content),
            status=DocumentStatus.READY.value,
            page_count=page_count(content, media_type),
        )
        session.add(document)
        session.flush()
        return document.id


def store_referral(
    resources: Resources, *, keep_extraction: bool = False, reference: str = ""
) -> Referral:
    """Store a synthetic referral; optionally keep its extraction where ingestion keeps it."""
    content, boxes = referral_pdf(reference or f"R-{uuid.uuid4().hex[:8]}")
    document_id = upload(resources, content, "referral.pdf")
    extraction = extraction_for(document_id, boxes)
    if keep_extraction:
        with transaction(resources.db) as session:
            save_extraction(session, extraction)
    return Referral(document_id, extraction, boxes)


def open_referral_case(resources: Resources, referral: Referral, actor: Actor = INTAKE) -> Case:
    with transaction(resources.db) as session:
        return open_case_from_extraction(session, referral.extraction, actor=actor)


def actor_for(resources: Resources, role: Role) -> Actor:
    """The actor behind the `tokens` fixture's user for `role`."""
    with resources.read_db() as session:
        user_id = session.execute(
            select(User.id).where(User.username == f"{role.value}-user")
        ).scalar_one()
    return Actor(user_id, role.value)


@pytest.fixture
def db_resources(database_url: str, tmp_path: Path) -> Iterator[Resources]:
    """Resources on the parametrised database: each test runs on SQLite and PostgreSQL."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        kb_autoload=False,
        seed_demo=False,
        log_format="console",
        _env_file=None,
    )
    built = Resources.build(settings)
    yield built
    built.close()


@pytest.fixture
def referral(resources: Resources) -> Referral:
    return store_referral(resources, keep_extraction=True)
