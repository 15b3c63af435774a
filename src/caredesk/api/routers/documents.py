"""Upload documents, list and read them, download the original file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.audit.log import record
from caredesk.domain.documents import DocType, DocumentStatus
from caredesk.domain.errors import NotFound, PayloadTooLarge
from caredesk.domain.roles import DOCUMENT_READERS, UPLOADERS
from caredesk.ingest.intake import accept_upload
from caredesk.storage.db import transaction
from caredesk.storage.models import Document, Job

router = APIRouter(prefix="/documents", tags=["documents"])

CHUNK = 1 << 20
MULTIPART_SLACK = 64 * 1024  # headers and boundaries around the file part


class DocumentOut(BaseModel):
    id: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatus
    status_reason: str = Field(description="Why the document failed or needs attention")
    doc_type: DocType | None
    doc_type_confidence: float | None
    page_count: int | None
    pages_done: int
    created_at: datetime
    updated_at: datetime
    is_demo: bool


class UploadOut(DocumentOut):
    duplicate: bool = Field(description="True when these exact bytes were uploaded before")


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


def document_out(document: Document) -> dict[str, Any]:
    return {name: getattr(document, name) for name in DocumentOut.model_fields}


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(CHUNK):
        yield block


@router.post(
    "",
    dependencies=[allow(UPLOADERS)],
    status_code=201,
    response_model=UploadOut,
    summary="Upload a document",
    responses={
        200: {"description": "The same bytes were uploaded before: the existing document"},
        413: {"description": "Over the upload size limit"},
        415: {"description": "Not a PDF, TIFF, PNG or JPEG (judged by the bytes, not the name)"},
    },
)
def upload(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="PDF, TIFF, PNG or JPEG")],
) -> JSONResponse:
    """Store the file once per content hash and queue it for ingestion (status `queued`)."""
    limit = resources.settings.max_upload_mb * 1024 * 1024
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + MULTIPART_SLACK:
        raise PayloadTooLarge(
            f"file is larger than the {resources.settings.max_upload_mb} MB limit"
        )
    accepted = accept_upload(
        resources.db,
        resources.blobs,
        resources.queue,
        filename=file.filename or "upload",
        chunks=_chunks(file.file),
        max_bytes=limit,
        actor=principal.actor,
    )
    body = UploadOut(**document_out(accepted.document), duplicate=accepted.duplicate)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if accepted.duplicate else 201
    )


@router.get(
    "",
    dependencies=[allow(DOCUMENT_READERS)],
    response_model=DocumentPage,
    summary="List documents",
)
def list_documents(
    resources: ResourcesDep,
    status: DocumentStatus | None = None,
    doc_type: DocType | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    """Newest first, filtered by status and document type, `limit` per page."""
    query = select(Document)
    if status is not None:
        query = query.where(Document.status == status.value)
    if doc_type is not None:
        query = query.where(Document.doc_type == doc_type.value)
    with resources.read_db() as session:
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = (
            session.execute(
                query.order_by(Document.created_at.desc(), Document.id).limit(limit).offset(offset)
            )
            .scalars()
            .all()
        )
        items = [DocumentOut(**document_out(row)) for row in rows]
    return DocumentPage(items=items, total=total, limit=limit, offset=offset)


class DocumentDetail(DocumentOut):
    job_status: str | None = Field(description="Status of the latest ingestion job")
    job_progress: dict[str, Any] | None = Field(description="done/total/note of that job")
    job_error: str = ""


def get_document_or_404(resources: ResourcesDep, document_id: str) -> Document:
    with resources.read_db() as session:
        document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document {document_id}")
    return document


@router.get(
    "/{document_id}",
    dependencies=[allow(DOCUMENT_READERS)],
    response_model=DocumentDetail,
    summary="One document with its ingestion progress",
)
def get_document(document_id: str, resources: ResourcesDep) -> DocumentDetail:
    """The document, and the state and progress of its latest ingestion job."""
    document = get_document_or_404(resources, document_id)
    with resources.read_db() as session:
        job = session.execute(
            select(Job)
            .where(Job.key == f"ingest:{document_id}")
            .order_by(Job.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    progress = (
        {"done": job.progress_done, "total": job.progress_total, "note": job.progress_note}
        if job
        else None
    )
    return DocumentDetail(
        **document_out(document),
        job_status=job.status if job else None,
        job_progress=progress,
        job_error=job.last_error if job else "",
    )


@router.get(
    "/{document_id}/file",
    dependencies=[allow(DOCUMENT_READERS)],
    summary="Download the original file",
    response_class=FileResponse,
    responses={200: {"description": "The bytes exactly as uploaded"}},
)
def download(
    document_id: str, resources: ResourcesDep, principal: CurrentPrincipal
) -> FileResponse:
    """The original bytes with their sniffed media type. Every download is audited."""
    document = get_document_or_404(resources, document_id)
    with transaction(resources.db) as session:
        record(session, principal.actor, "document.download", "document", document_id)
    return FileResponse(
        resources.blobs.path_for(document.sha256),
        media_type=document.media_type,
        filename=document.filename,
    )
