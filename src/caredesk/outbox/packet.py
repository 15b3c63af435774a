"""Gather what a packet export needs: the case, its latest checklist, its documents, the payer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.audit.log import Actor, record
from caredesk.domain.cases import Case
from caredesk.domain.knowledge import Payer
from caredesk.knowledge.loader import read_payers
from caredesk.storage.models import CaseDocument, Document, utcnow
from caredesk.worklist.assessments import RecordedAssessment, latest_assessment
from caredesk.worklist.records import load_case


@dataclass(frozen=True)
class PacketDocument:
    """A document of the case as the packet cites and attaches it."""

    id: str
    filename: str
    media_type: str
    sha256: str
    page_count: int | None
    doc_type: str | None
    role: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Packet:
    case: Case
    assessment: RecordedAssessment | None
    documents: tuple[PacketDocument, ...]
    payer: Payer | None
    generated_at: datetime

    @property
    def payer_name(self) -> str:
        return self.payer.name if self.payer else str(self.case.raw("payer") or "unknown payer")


def payer_directory(kb_path: Path) -> dict[str, Payer]:
    """Payers by id from the knowledge base's payers.yaml (empty when there is none)."""
    payers, _problems = read_payers(kb_path / "payers.yaml")
    return {payer.id: payer for payer in payers}


def load_packet(
    session: Session,
    case_id: str,
    *,
    payers: Mapping[str, Payer] | None = None,
    now: datetime | None = None,
) -> Packet:
    case = load_case(session, case_id)
    rows = session.execute(
        select(Document, CaseDocument.role)
        .join(CaseDocument, CaseDocument.document_id == Document.id)
        .where(CaseDocument.case_id == case_id)
        .order_by(CaseDocument.added_at, Document.id)
    ).all()
    documents = tuple(
        PacketDocument(
            id=document.id,
            filename=document.filename,
            media_type=document.media_type,
            sha256=document.sha256,
            page_count=document.page_count,
            doc_type=document.doc_type,
            role=role,
            uploaded_at=document.created_at,
        )
        for document, role in rows
    )
    payer_id = case.raw("payer")
    return Packet(
        case=case,
        assessment=latest_assessment(session, case_id),
        documents=documents,
        payer=(payers or {}).get(payer_id) if payer_id else None,
        generated_at=now or utcnow(),
    )


def audit_export(session: Session, packet: Packet, export_format: str, actor: Actor) -> None:
    """A packet carries PHI out of the system: every export is in the audit trail."""
    record(
        session,
        actor,
        "case.export",
        "case",
        packet.case.id,
        {
            "format": export_format,
            "document_ids": [document.id for document in packet.documents],
            "assessment_id": packet.assessment.id if packet.assessment else None,
        },
    )
