"""The worklist: cases with due-date countdowns and SLA risk, filtered and sorted in SQL."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from caredesk.domain.cases import ACTIVE_STATUSES, Case, CaseStatus
from caredesk.domain.clocks import ClockReading, SlaRisk, Urgency, read_clock
from caredesk.storage.models import CaseRecord
from caredesk.worklist.records import load_cases


class WorklistSort(StrEnum):
    """due_at: soonest first; received_at: oldest first; priority: overdue, then at risk,
    expedited before standard, then soonest due."""

    DUE_AT = "due_at"
    RECEIVED_AT = "received_at"
    PRIORITY = "priority"


class WorklistQuery(BaseModel):
    """Filters and order for the worklist; no status means every case still being worked."""

    model_config = ConfigDict(frozen=True)

    payer: str | None = None
    urgency: Urgency | None = None
    statuses: tuple[CaseStatus, ...] = ()
    risk: SlaRisk | None = None
    sort: WorklistSort = WorklistSort.PRIORITY
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class WorklistEntry(BaseModel):
    """One case as the queue shows it: the case and its clock read now."""

    model_config = ConfigDict(frozen=True)

    case: Case
    clock: ClockReading


class WorklistPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: list[WorklistEntry]
    total: int
    limit: int
    offset: int
    now: datetime


def _risk_rank(now: datetime) -> ColumnElement[int]:
    return case(
        (CaseRecord.due_at <= now, 0),
        (CaseRecord.at_risk_at <= now, 1),
        else_=2,
    )


def _risk_filter(risk: SlaRisk, now: datetime) -> ColumnElement[bool]:
    if risk is SlaRisk.OVERDUE:
        return CaseRecord.due_at <= now
    if risk is SlaRisk.AT_RISK:
        return (CaseRecord.at_risk_at <= now) & (CaseRecord.due_at > now)
    return CaseRecord.at_risk_at > now


def _filtered(query: WorklistQuery, now: datetime) -> Select[Any]:
    statuses = query.statuses or tuple(sorted(ACTIVE_STATUSES))
    stmt = select(CaseRecord).where(CaseRecord.status.in_([s.value for s in statuses]))
    if query.payer:
        stmt = stmt.where(CaseRecord.payer == query.payer.strip().lower())
    if query.urgency is not None:
        stmt = stmt.where(CaseRecord.urgency == query.urgency.value)
    if query.risk is not None:
        stmt = stmt.where(_risk_filter(query.risk, now))
    return stmt


def _ordered(stmt: Select[Any], sort: WorklistSort, now: datetime) -> Select[Any]:
    if sort is WorklistSort.DUE_AT:
        return stmt.order_by(CaseRecord.due_at, CaseRecord.id)
    if sort is WorklistSort.RECEIVED_AT:
        return stmt.order_by(CaseRecord.received_at, CaseRecord.id)
    expedited_first = case((CaseRecord.urgency == Urgency.EXPEDITED.value, 0), else_=1)
    return stmt.order_by(_risk_rank(now), expedited_first, CaseRecord.due_at, CaseRecord.id)


def list_worklist(session: Session, query: WorklistQuery, now: datetime) -> WorklistPage:
    """One page of the worklist as of `now` (the clock every countdown is read against)."""
    stmt = _filtered(query, now)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = (
        session.execute(_ordered(stmt, query.sort, now).limit(query.limit).offset(query.offset))
        .scalars()
        .all()
    )
    items = [
        WorklistEntry(case=case_, clock=read_clock(case_.received_at, case_.due_at, now))
        for case_ in load_cases(session, rows)
    ]
    return WorklistPage(items=items, total=total, limit=query.limit, offset=query.offset, now=now)
