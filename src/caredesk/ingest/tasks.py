"""The ingestion job: read a stored document and record what was found."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy.orm import Session, sessionmaker

from caredesk.audit.log import SYSTEM, record
from caredesk.domain.documents import DocumentStatus
from caredesk.domain.errors import InputRejected, NotFound
from caredesk.jobs.runner import Handler, JobContext
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import transaction
from caredesk.storage.models import Document


def count_pages(content: bytes, media_type: str, max_pages: int) -> int:
    """Pages in the document; InputRejected with a reason when it cannot be read."""
    try:
        if media_type == "application/pdf":
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputRejected("the PDF is encrypted with a password")
            pages = len(reader.pages)
        elif media_type == "image/tiff":
            with Image.open(io.BytesIO(content)) as image:
                pages = getattr(image, "n_frames", 1)
        else:
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
            pages = 1
    except InputRejected:
        raise
    except (PdfReadError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputRejected(f"the file is damaged or unreadable ({type(exc).__name__})") from None
    if pages == 0:
        raise InputRejected("the document has no pages")
    if pages > max_pages:
        raise InputRejected(f"the document has {pages} pages; the limit is {max_pages}")
    return pages


def make_ingest_handler(
    factory: sessionmaker[Session], blobs: BlobStore, *, max_pages: int
) -> Handler:
    def handle(ctx: JobContext) -> None:
        document_id = str(ctx.payload["document_id"])
        document = _set_status(factory, document_id, DocumentStatus.PROCESSING, "")
        try:
            pages = count_pages(blobs.read_bytes(document.sha256), document.media_type, max_pages)
        except InputRejected as exc:
            _set_status(factory, document_id, DocumentStatus.FAILED, exc.reason)
            raise
        ctx.progress(pages, pages, "pages counted")
        with transaction(factory) as session:
            row = session.get(Document, document_id)
            assert row is not None
            row.page_count, row.pages_done = pages, pages
            row.status, row.status_reason = DocumentStatus.READY.value, ""
            record(
                session,
                SYSTEM,
                "document.ingested",
                "document",
                document_id,
                {"pages": pages, "status": row.status},
            )

    return handle


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
