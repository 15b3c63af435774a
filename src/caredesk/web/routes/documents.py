"""Intake and documents: upload with live status, the document list and one document's page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, Query, Request, UploadFile
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.routers.documents import (
    DocumentDetail,
    DocumentOut,
    document_out,
    get_document,
    list_documents,
)
from caredesk.domain.documents import DocType, DocumentStatus
from caredesk.domain.errors import InputRejected
from caredesk.domain.roles import DOCUMENT_READERS, UPLOADERS
from caredesk.ingest.intake import SUPPORTED, accept_upload
from caredesk.web.rendering import render
from caredesk.web.viewer import build_viewer

router = APIRouter()

PAGE_SIZE = 50
RECENT = 10
CHUNK = 1 << 20
SETTLED_EVENT = "caredesk-document-settled"
TERMINAL = frozenset({DocumentStatus.READY, DocumentStatus.NEEDS_ATTENTION, DocumentStatus.FAILED})


@dataclass(frozen=True)
class StatusView:
    """A document's ingestion state as a person reads it; pages poll until `final`."""

    status: DocumentStatus
    label: str
    reason: str
    final: bool


def status_view(status: DocumentStatus, reason: str, done: int, total: int) -> StatusView:
    labels = {
        DocumentStatus.QUEUED: "Queued",
        DocumentStatus.PROCESSING: "Processing",
        DocumentStatus.READY: "Ready",
        DocumentStatus.NEEDS_ATTENTION: "Needs attention",
        DocumentStatus.FAILED: "Failed",
    }
    label = labels[status]
    if status is DocumentStatus.PROCESSING and total > 0:
        label = f"Processing page {min(done + 1, total)} of {total}"
    return StatusView(status, label, reason, status in TERMINAL)


def listed_status(document: DocumentOut) -> StatusView:
    return status_view(
        document.status, document.status_reason, document.pages_done, document.page_count or 0
    )


@dataclass(frozen=True)
class UploadResult:
    """One file of a form upload: the stored document (maybe a duplicate) or why it was refused."""

    filename: str
    document: DocumentOut | None = None
    duplicate: bool = False
    error: str = ""


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(CHUNK):
        yield block


def _recent(resources: ResourcesDep) -> list[tuple[DocumentOut, StatusView]]:
    return [
        (document, listed_status(document))
        for document in list_documents(resources, None, None, RECENT, 0).items
    ]


def _intake_page(
    request: Request, resources: ResourcesDep, results: list[UploadResult] | None = None
) -> Response:
    context = {
        "recent": _recent(resources),
        "results": results or [],
        "supported": SUPPORTED,
        "max_upload_mb": resources.settings.max_upload_mb,
    }
    return render(request, "intake.html", context)


@router.get("/intake", dependencies=[allow(UPLOADERS)], summary="Intake")
def intake(request: Request, resources: ResourcesDep) -> Response:
    """Upload faxes and scans (drag and drop, several at once) and watch them being read."""
    return _intake_page(request, resources)


@router.get("/intake/recent", dependencies=[allow(UPLOADERS)], summary="Recent (fragment)")
def intake_recent(request: Request, resources: ResourcesDep) -> Response:
    """The recent-documents table, refreshed after uploads."""
    return render(request, "documents/_recent.html", {"recent": _recent(resources)})


@router.post("/intake", dependencies=[allow(UPLOADERS)], summary="Upload (form)")
def intake_upload(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    files: Annotated[list[UploadFile], File(description="PDF, TIFF, PNG or JPEG")],
) -> Response:
    """The same upload without JavaScript: store each file and show the intake page."""
    limit = resources.settings.max_upload_mb * 1024 * 1024
    results = []
    for upload in files:
        name = upload.filename or "upload"
        try:
            accepted = accept_upload(
                resources.db,
                resources.blobs,
                resources.queue,
                filename=name,
                chunks=_chunks(upload.file),
                max_bytes=limit,
                actor=principal.actor,
            )
        except InputRejected as exc:
            results.append(UploadResult(name, error=exc.reason))
            continue
        document = DocumentOut(**document_out(accepted.document))
        results.append(UploadResult(name, document, accepted.duplicate))
    return _intake_page(request, resources, results)


@router.get("/documents", dependencies=[allow(DOCUMENT_READERS)], summary="Documents")
def documents(
    request: Request,
    resources: ResourcesDep,
    status: DocumentStatus | None = None,
    doc_type: DocType | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Every document, newest first, filtered by status and type."""
    found = list_documents(resources, status, doc_type, PAGE_SIZE, offset)
    context = {
        "rows": [(document, listed_status(document)) for document in found.items],
        "total": found.total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "status": status,
        "doc_type": doc_type,
        "statuses": list(DocumentStatus),
        "doc_types": list(DocType),
    }
    return render(request, "documents/list.html", context)


def _detail_status(resources: ResourcesDep, document_id: str) -> tuple[DocumentDetail, StatusView]:
    detail = get_document(document_id, resources)
    progress = detail.job_progress or {}
    done = int(progress.get("done") or detail.pages_done)
    total = int(progress.get("total") or detail.page_count or 0)
    reason = detail.status_reason or detail.job_error
    return detail, status_view(detail.status, reason, done, total)


@router.get("/documents/{document_id}", dependencies=[allow(DOCUMENT_READERS)], summary="Document")
def document_page(
    request: Request, resources: ResourcesDep, principal: CurrentPrincipal, document_id: str
) -> Response:
    """One document: what it is, where ingestion stands, the original file, and the viewer
    (pages with word boxes, fields with evidence; `?field=`, `?page=&box=` or
    `?page=&start=&end=` open it on a page with that evidence highlighted)."""
    detail, status = _detail_status(resources, document_id)
    viewer = build_viewer(resources, principal, detail, status.status, request.query_params)
    context = {"document": detail, "status": status, "viewer": viewer}
    return render(request, "documents/detail.html", context)


@router.get(
    "/documents/{document_id}/status",
    dependencies=[allow(DOCUMENT_READERS)],
    summary="Document status (fragment)",
)
def document_status(request: Request, resources: ResourcesDep, document_id: str) -> Response:
    """The live status badge; it keeps polling itself until ingestion is over."""
    detail, status = _detail_status(resources, document_id)
    # Once settled, tell the page: tables and facts around the badge refresh themselves.
    headers = {"HX-Trigger": SETTLED_EVENT} if status.final else None
    context = {"document": detail, "status": status}
    return render(request, "documents/_status.html", context, headers=headers)
