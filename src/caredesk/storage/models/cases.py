"""PA cases, their values and documents, checklist runs, drafts with versions, reviews, outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caredesk.storage.models.base import Base, Timestamped, new_id, utcnow


class CaseRecord(Timestamped, Base):
    """One case. Payer, urgency and the clock are copied out of the values so the worklist
    can filter and sort in SQL on any backend."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_worklist", "status", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("case"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    payer: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    plan: Mapped[str | None] = mapped_column(String(128), default=None)
    urgency: Mapped[str] = mapped_column(String(16), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    due_at: Mapped[datetime]
    # From this moment less than a quarter of the decision window is left (SLA "at risk").
    at_risk_at: Mapped[datetime]
    # The payer's own clock when stricter than the federal one (expedited_hours,
    # standard_days, source policy), kept so a changed urgency recomputes the same way.
    payer_clock: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own hook


class CaseValueRecord(Base):
    """One value of a case with its evidence; a correction keeps the first value in `original`."""

    __tablename__ = "case_values"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    source: Mapped[str] = mapped_column(String(16), index=True)
    confidence: Mapped[float | None] = mapped_column(default=None)
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    corrected_by: Mapped[str | None] = mapped_column(String(64), default=None)
    corrected_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseDocument(Base):
    """A document belonging to a case: the one it was opened from, or attached later."""

    __tablename__ = "case_documents"

    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # source | attached
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChecklistRun(Base):
    """One assessment of a case (usually an agent run): the checklist, routing, provenance."""

    __tablename__ = "checklist_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("chk"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agent_run_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[float]
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChecklistItemRecord(Base):
    """One assessed item of a run, kept as a row so item outcomes can be counted and searched."""

    __tablename__ = "checklist_items"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("checklist_runs.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(255))
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)


class DraftRecord(Timestamped, Base):
    """A draft's current text and state; `version` is the optimistic-concurrency counter."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("drf"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    audience: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(24), index=True)
    content: Mapped[str] = mapped_column(Text)
    fields_used: Mapped[list[str]] = mapped_column(JSON, default=list)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flagged: Mapped[bool] = mapped_column(default=False, index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    checklist_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("checklist_runs.id", ondelete="SET NULL"), default=None
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own hook


class DraftVersionRecord(Base):
    """Every saved text of a draft with the diff from the one before and its author."""

    __tablename__ = "draft_versions"

    draft_id: Mapped[str] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    fields_used: Mapped[list[str]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftReview(Base):
    """A reviewer's decision on one version of a draft."""

    __tablename__ = "draft_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Timestamped, Base):
    """An approved draft handed to the outbox: at most one per draft, delivered by a job."""

    __tablename__ = "outbox_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("out"))
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    draft_version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))  # webhook | manual
    target: Mapped[str] = mapped_column(String(512), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | delivered | ...
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_by: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
