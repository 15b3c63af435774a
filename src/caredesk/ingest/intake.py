"""Accept an upload: sniff its type from the bytes, enforce the size limit, store it once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from caredesk.audit.log import Actor, record
from caredesk.domain.errors import PayloadTooLarge, UnsupportedMediaType
from caredesk.ingest.formats import sniff_media_type
from caredesk.jobs.queue import JobQueue
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import transaction
from caredesk.storage.models import Document

INGEST_JOB = "ingest"
SUPPORTED = "PDF, TIFF, PNG or JPEG"


@dataclass(frozen=True)
class Accepted:
    document: Document
    duplicate: bool


def _limited(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(
                f"file is larger than the {limit // (1024 * 1024)} MB limit", limit_bytes=limit
            )
        yield chunk


def _checked(chunks: Iterable[bytes]) -> tuple[str, Iterator[bytes]]:
    """Peek enough bytes to sniff the type, then hand back the full stream."""
    iterator = iter(chunks)
    head = b""
    for chunk in iterator:
        head += chunk
        if len(head) >= 1024:
            break
    if not head:
        raise UnsupportedMediaType("the file is empty (0 bytes)")
    media_type = sniff_media_type(head).value

    def replay() -> Iterator[bytes]:
        yield head
        yield from iterator

    return media_type, replay()


def accept_upload(
    factory: sessionmaker[Session],
    blobs: BlobStore,
    queue: JobQueue,
    *,
    filename: str,
    chunks: Iterable[bytes],
    max_bytes: int,
    actor: Actor,
    is_demo: bool = False,
) -> Accepted:
    """Store the bytes (once per content hash) and queue ingestion for a new document.

    Nothing half-written remains on rejection: the blob store writes via a temp file.
    """
    media_type, stream = _checked(chunks)
    digest = blobs.put_chunks(_limited(stream, max_bytes))
    size = blobs.path_for(digest).stat().st_size
    with transaction(factory) as session:
        existing = _by_hash(session, digest)
        if existing is not None:
            record(
                session,
                actor,
                "document.upload_duplicate",
                "document",
                existing.id,
                {"sha256": digest},
            )
            return Accepted(existing, duplicate=True)
    try:
        return Accepted(
            _create(factory, queue, digest, filename, media_type, size, actor, is_demo),
            duplicate=False,
        )
    except IntegrityError:
        # Someone stored the same bytes between our check and insert: theirs wins.
        with factory() as session:
            winner = _by_hash(session, digest)
        assert winner is not None
        return Accepted(winner, duplicate=True)


def _by_hash(session: Session, digest: str) -> Document | None:
    return session.execute(select(Document).where(Document.sha256 == digest)).scalar_one_or_none()


def _create(
    factory: sessionmaker[Session],
    queue: JobQueue,
    digest: str,
    filename: str,
    media_type: str,
    size: int,
    actor: Actor,
    is_demo: bool,
) -> Document:
    with transaction(factory) as session:
        document = Document(
            sha256=digest,
            filename=_safe_name(filename),
            media_type=media_type,
            size_bytes=size,
            uploaded_by=actor.id if actor.id.startswith("usr_") else None,
            is_demo=is_demo,
        )
        session.add(document)
        session.flush()
        queue.enqueue(session, INGEST_JOB, f"ingest:{document.id}", {"document_id": document.id})
        record(
            session,
            actor,
            "document.upload",
            "document",
            document.id,
            {"sha256": digest, "media_type": media_type, "size_bytes": size},
        )
        return document


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return "".join(ch for ch in name if ch.isprintable())[:255]
