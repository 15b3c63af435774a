"""The ingestion jobs: read a stored document page by page (resumable), then understand it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from caredesk.audit.log import SYSTEM, record
from caredesk.domain.documents import DocumentStatus, ExtractionResult
from caredesk.domain.errors import InputRejected, NotFound
from caredesk.ingest.formats import open_document
from caredesk.ingest.intake import INGEST_JOB
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.pipeline import read_pages, understand
from caredesk.ingest.preprocess import PreprocessOptions
from caredesk.ingest.store import load_pages, save_extraction, save_page, stored_page_numbers
from caredesk.jobs.runner import Handler, JobContext
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import transaction
from caredesk.storage.models import Document

EXTRACT_JOB = "extract"
__all__ = [
    "EXTRACT_JOB",
    "INGEST_JOB",
    "IngestContext",
    "make_extract_handler",
    "make_ingest_handler",
]


@dataclass(frozen=True)
class IngestContext:
    db: sessionmaker[Session]
    blobs: BlobStore
    limits: IngestLimits
    options: PreprocessOptions
    auto_accept: float


def make_ingest_handler(context: IngestContext) -> Handler:
    """Read every page not yet stored (each stored once, so a crash resumes where it was),
    then classify, extract and validate from the stored pages."""

    def handle(ctx: JobContext) -> None:
        document_id = str(ctx.payload["document_id"])
        document = _set_status(context.db, document_id, DocumentStatus.PROCESSING, "")
        try:
            _read_all_pages(context, ctx, document)
            _understand_and_store(context, document_id)
        except InputRejected as exc:
            _set_status(context.db, document_id, DocumentStatus.FAILED, exc.reason)
            raise
        except Exception as exc:
            if ctx.job.attempts >= ctx.job.max_attempts:
                reason = (
                    f"ingestion failed after {ctx.job.attempts} attempts ({type(exc).__name__})"
                )
                _set_status(context.db, document_id, DocumentStatus.FAILED, reason)
            raise

    return handle


def make_extract_handler(context: IngestContext) -> Handler:
    """Re-run classification and extraction over the stored pages (after a model update)."""

    def handle(ctx: JobContext) -> None:
        _understand_and_store(context, str(ctx.payload["document_id"]))

    return handle


def _read_all_pages(context: IngestContext, ctx: JobContext, document: Document) -> None:
    path = context.blobs.path_for(document.sha256)
    reader = open_document(path, context.limits)
    try:
        total = reader.page_count
    finally:
        reader.close()
    with transaction(context.db) as session:
        done = stored_page_numbers(session, document.id)
        row = session.get(Document, document.id)
        assert row is not None
        row.page_count, row.pages_done = total, len(done)
    ctx.progress(len(done), total, f"page {len(done)} of {total}")
    for page in read_pages(path, limits=context.limits, options=context.options, skip_pages=done):
        with transaction(context.db) as session:
            if save_page(session, document.id, page):
                done.add(page.number)
            row = session.get(Document, document.id)
            assert row is not None
            row.pages_done = len(done)
        ctx.progress(len(done), total, f"page {len(done)} of {total}")


def _understand_and_store(context: IngestContext, document_id: str) -> None:
    with context.db() as session:
        pages = load_pages(session, document_id)
    result = understand(document_id, pages)
    status, reason = attention(result, context.auto_accept)
    with transaction(context.db) as session:
        save_extraction(session, result)
        row = session.get(Document, document_id)
        if row is None:
            raise NotFound(f"document {document_id} no longer exists")
        before = row.status
        row.doc_type, row.doc_type_confidence = result.doc_type.value, result.doc_type_confidence
        row.status, row.status_reason = status.value, reason
        record(
            session,
            SYSTEM,
            "document.extracted",
            "document",
            document_id,
            {
                "doc_type": row.doc_type,
                "pages": len(pages),
                "fields": sorted(result.fields),
                "before": before,
                "after": status.value,
            },
        )


def attention(result: ExtractionResult, auto_accept: float) -> tuple[DocumentStatus, str]:
    """`ready`, or `needs_attention` with the reasons a person must look."""
    reasons = [
        w for w in result.warnings if "unreadable" in w or "uncertain" in w or "barely legible" in w
    ]
    doubtful = sorted(
        name
        for name, field in result.fields.items()
        if field.confidence < auto_accept or field.validation
    )
    if doubtful:
        reasons.append(f"check {len(doubtful)} field(s): {', '.join(doubtful[:6])}")
    if not result.fields and result.doc_type.value != "other":
        reasons.append("no fields could be extracted")
    if reasons:
        return DocumentStatus.NEEDS_ATTENTION, "; ".join(reasons)
    return DocumentStatus.READY, ""


def _set_status(
    factory: sessionmaker[Session], document_id: str, status: DocumentStatus, reason: str
) -> Document:
    with transaction(factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} no longer exists")
        before = document.status
        document.status, document.status_reason = status.value, reason
        if before != status.value:
            record(
                session,
                SYSTEM,
                "document.status",
                "document",
                document_id,
                {"before": before, "after": status.value, "reason": reason},
            )
        return document
