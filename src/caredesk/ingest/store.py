"""Persist what ingestion reads: pages as they finish, then the extraction and its fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from caredesk.domain.documents import (
    DocType,
    ExtractedField,
    ExtractionResult,
    LineItem,
    PageResult,
    PageStatus,
)
from caredesk.storage.models import DocumentExtraction, DocumentField, DocumentPage


def stored_page_numbers(session: Session, document_id: str) -> set[int]:
    rows = session.execute(
        select(DocumentPage.number).where(DocumentPage.document_id == document_id)
    ).scalars()
    return set(rows)


def save_page(session: Session, document_id: str, page: PageResult) -> bool:
    """Store one page once: a page already stored (a resumed job) is left as it is.

    Returns True when this call stored it.
    """
    values = {
        "document_id": document_id,
        "number": page.number,
        "status": page.status.value,
        "quality": page.quality.value,
        "mean_confidence": page.mean_confidence,
        "word_count": len(page.words),
        "result": page.model_dump(mode="json"),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(DocumentPage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["document_id", "number"])
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def load_pages(session: Session, document_id: str) -> list[PageResult]:
    rows = session.execute(
        select(DocumentPage.result)
        .where(DocumentPage.document_id == document_id)
        .order_by(DocumentPage.number)
    ).scalars()
    return [PageResult.model_validate(row) for row in rows]


def unreadable_pages(pages: list[PageResult]) -> list[PageResult]:
    return [page for page in pages if page.status is not PageStatus.OK]


def save_extraction(session: Session, result: ExtractionResult) -> None:
    """Replace the extracted fields, keeping every person's correction over the new value."""
    document_id = result.document_id
    corrected = {
        row.name: row
        for row in session.execute(
            select(DocumentField).where(
                DocumentField.document_id == document_id, DocumentField.source == "corrected"
            )
        ).scalars()
    }
    session.execute(
        delete(DocumentField).where(
            DocumentField.document_id == document_id, DocumentField.source == "extracted"
        )
    )
    for name, extracted in result.fields.items():
        dumped = extracted.model_dump(mode="json")
        if name in corrected:
            corrected[name].original = dumped  # the newest machine reading, for comparison
            continue
        session.add(DocumentField(document_id=document_id, name=name, field=dumped))
    extraction = session.get(DocumentExtraction, document_id)
    items = [item.model_dump(mode="json") for item in result.line_items]
    if extraction is None:
        session.add(
            DocumentExtraction(
                document_id=document_id,
                doc_type=result.doc_type.value,
                doc_type_confidence=result.doc_type_confidence,
                line_items=items,
                warnings=list(result.warnings),
            )
        )
    else:
        extraction.doc_type, extraction.doc_type_confidence = (
            result.doc_type.value,
            result.doc_type_confidence,
        )
        extraction.line_items, extraction.warnings = items, list(result.warnings)
        extraction.runs += 1
    session.flush()


def load_fields(session: Session, document_id: str) -> list[DocumentField]:
    return list(
        session.execute(
            select(DocumentField)
            .where(DocumentField.document_id == document_id)
            .order_by(DocumentField.name)
        ).scalars()
    )


def load_extraction(session: Session, document_id: str) -> ExtractionResult | None:
    """The stored understanding of a document, corrections applied, as the pipeline's model."""
    extraction = session.get(DocumentExtraction, document_id)
    if extraction is None:
        return None
    fields = {
        row.name: ExtractedField.model_validate(row.field)
        for row in load_fields(session, document_id)
    }
    return ExtractionResult(
        document_id=document_id,
        doc_type=DocType(extraction.doc_type),
        doc_type_confidence=extraction.doc_type_confidence,
        pages=tuple(load_pages(session, document_id)),
        fields=fields,
        line_items=tuple(LineItem.model_validate(item) for item in extraction.line_items),
        warnings=tuple(extraction.warnings),
    )


def field_json(row: DocumentField) -> dict[str, Any]:
    """A stored field as the API shows it: the value, its evidence, and any correction."""
    return {
        "name": row.name,
        **row.field,
        "source": row.source,
        "original": row.original,
        "corrected_by": row.corrected_by,
        "correction_note": row.correction_note,
    }
