"""Synthetic PA cases read by the real ingestion pipeline, stored as ingestion stores them."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from caredesk.agent.budget import Limits
from caredesk.agent.runner import AgentDeps
from caredesk.api.resources import Resources
from caredesk.audit.log import Actor
from caredesk.domain.documents import DocumentStatus, ExtractionResult
from caredesk.ingest.intake import sniff_media_type
from caredesk.ingest.pipeline import PreprocessOptions, limits_from, run_pipeline
from caredesk.ingest.store import save_extraction, save_page
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import AuditEvent, Document
from caredesk.synthetic import generate_case_bundle
from caredesk.synthetic.cases import CaseBundle
from caredesk.worklist.cases import attach_document, open_case_from_extraction

PLACEHOLDER = "doc_pendingpending"
COORDINATOR = Actor("usr_coordinator01", "coordinator")
INTAKE = Actor("usr_intake0000001", "intake")


@dataclass(frozen=True)
class ReadBundle:
    """A bundle and what the pipeline read off each of its papers (ids still placeholders)."""

    bundle: CaseBundle
    extractions: tuple[ExtractionResult, ...]


def read_bundle(seed: int, scenario: str, **options: Any) -> ReadBundle:
    """Generate a bundle and run every paper through the real pipeline (text layer or OCR)."""
    bundle = generate_case_bundle(seed, scenario, **options)
    settings = Settings(_env_file=None, data_dir=Path(tempfile.mkdtemp(prefix="agent-read-")))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for paper in bundle.documents:
            path = Path(folder) / paper.file_name
            path.write_bytes(paper.content)
            results.append(
                run_pipeline(
                    path,
                    document_id=PLACEHOLDER,
                    limits=limits_from(settings),
                    options=PreprocessOptions(),
                )
            )
    return ReadBundle(bundle, tuple(results))


def rebind(extraction: ExtractionResult, document_id: str) -> ExtractionResult:
    """The same extraction for the document's real id (evidence included)."""
    dumped = json.dumps(extraction.model_dump(mode="json")).replace(PLACEHOLDER, document_id)
    return ExtractionResult.model_validate_json(dumped)


def store_bundle(resources: Resources, read: ReadBundle) -> list[str]:
    """Each paper as a stored document with its pages and extraction; returns the ids."""
    ids = []
    for paper, extraction in zip(read.bundle.documents, read.extractions, strict=True):
        digest = resources.blobs.put_bytes(paper.content)
        with transaction(resources.db) as session:
            document = Document(
                sha256=digest,
                filename=paper.file_name,
                media_type=sniff_media_type(paper.content[:1024]) or "application/pdf",
                size_bytes=len(paper.content),
                status=DocumentStatus.READY.value,
                page_count=len(extraction.pages),
                doc_type=extraction.doc_type.value,
            )
            session.add(document)
            session.flush()
            bound = rebind(extraction, document.id)
            for page in bound.pages:
                save_page(session, document.id, page)
            save_extraction(session, bound)
            ids.append(document.id)
    return ids


def open_bundle_case(resources: Resources, read: ReadBundle) -> tuple[str, list[str]]:
    """A case opened from the bundle's referral, its other papers attached; (case, documents)."""
    ids = store_bundle(resources, read)
    referral = rebind(read.extractions[0], ids[0])
    with transaction(resources.db) as session:
        case = open_case_from_extraction(session, referral, actor=INTAKE)
        for document_id in ids[1:]:
            attach_document(session, case.id, document_id, actor=INTAKE)
    return case.id, ids


def deps_for(resources: Resources, **changes: Any) -> AgentDeps:
    """The resources' agent dependencies, with `limits=` / `before_node=` / ... replaced."""
    deps = resources.agent_deps()
    for name, value in changes.items():
        setattr(deps, name, value)
    return deps


def limits(**changes: Any) -> Limits:
    return Limits(**changes)


@dataclass(frozen=True)
class Audited:
    seq: int
    actor: str
    action: str
    object_id: str
    details: dict[str, Any]


def audit_events(resources: Resources, prefix: str = "agent.") -> list[Audited]:
    """Audit events whose action starts with `prefix`, oldest first, details parsed."""
    with resources.read_db() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.seq)
        ).scalars()
        return [
            Audited(row.seq, row.actor, row.action, row.object_id, json.loads(row.details))
            for row in rows
        ]
