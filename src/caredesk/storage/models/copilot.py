"""Copilot threads and their messages: questions, answers, citations and how each was made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caredesk.storage.models.base import Base, Timestamped, new_id, utcnow


class CopilotThread(Timestamped, Base):
    """A conversation of one user with the copilot; private to its owner."""

    __tablename__ = "copilot_threads"
    __table_args__ = (Index("ix_copilot_threads_owner_updated", "owner_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("thr"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    message_count: Mapped[int] = mapped_column(Integer, default=0)


class CopilotMessage(Base):
    """One turn: the user's question, or the copilot's answer with its provenance."""

    __tablename__ = "copilot_messages"
    __table_args__ = (Index("ix_copilot_messages_thread_seq", "thread_id", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("msg"))
    thread_id: Mapped[str] = mapped_column(ForeignKey("copilot_threads.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    text: Mapped[str] = mapped_column(Text)
    # Question context (user turns): the payer, date and case the question was asked about.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Answer provenance (assistant turns).
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engine: Mapped[str | None] = mapped_column(String(32), default=None)
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    prompt_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    confidence: Mapped[float | None] = mapped_column(default=None)
    abstained: Mapped[bool | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
