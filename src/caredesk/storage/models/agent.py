"""Agent runs: who started one, where it is, what it spent, and what it concluded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caredesk.storage.models.base import Base, Timestamped, new_id


class AgentRunRecord(Timestamped, Base):
    """One run of the packet-assembly agent on one case (its LangGraph thread id is `id`).

    `started_by` is the person the run acts for: four eyes keeps them from approving its drafts.
    """

    __tablename__ = "agent_runs"
    __table_args__ = (Index("ix_agent_runs_case_created", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("run"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # queued | running | completed | budget_exceeded | failed
    status: Mapped[str] = mapped_column(String(24), index=True)
    started_by: Mapped[str] = mapped_column(String(64))
    started_by_role: Mapped[str] = mapped_column(String(24))
    engine: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    job_id: Mapped[str | None] = mapped_column(String(32), default=None)
    current_node: Mapped[str] = mapped_column(String(32), default="")
    nodes_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    nodes_total: Mapped[int] = mapped_column(Integer, default=0)
    # Spent and allowed: steps, llm_calls, tokens, seconds.
    usage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    confidence: Mapped[float | None] = mapped_column(default=None)
    assessment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    draft_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
