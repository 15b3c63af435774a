"""What ingestion read and understood: pages with their words, extracted fields, corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caredesk.storage.models.base import Base, Timestamped, utcnow


class DocumentPage(Base):
    """One page as read. Unique per (document, number): a resumed job never stores it twice."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_pages_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    quality: Mapped[str] = mapped_column(String(16))
    mean_confidence: Mapped[float]
    word_count: Mapped[int]
    # The full PageResult (words with boxes and confidences) as JSON.
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentExtraction(Timestamped, Base):
    """The latest understanding of a document: type, line items, warnings."""

    __tablename__ = "document_extractions"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    doc_type: Mapped[str] = mapped_column(String(24))
    doc_type_confidence: Mapped[float]
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    runs: Mapped[int] = mapped_column(default=1)


class DocumentField(Timestamped, Base):
    """One extracted field with its evidence; a correction keeps the extracted original."""

    __tablename__ = "document_fields"
    __table_args__ = (UniqueConstraint("document_id", "name", name="uq_document_fields_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    # The ExtractedField as JSON (value, normalized, confidence, evidence, validation).
    field: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="extracted")  # or "corrected"
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    corrected_by: Mapped[str | None] = mapped_column(String(64), default=None)
    correction_note: Mapped[str] = mapped_column(Text, default="")
