"""Read and write cases as domain values: rows in, `Case` out, one place for the mapping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.domain.cases import Case, CaseValue
from caredesk.domain.clocks import PayerClock, at_risk_from, due_at
from caredesk.domain.errors import NotFound
from caredesk.storage.models import CaseDocument, CaseRecord, CaseValueRecord


def case_record(session: Session, case_id: str) -> CaseRecord:
    record = session.get(CaseRecord, case_id)
    if record is None:
        raise NotFound(f"no case {case_id}", case_id=case_id)
    return record


def load_case(session: Session, case_id: str) -> Case:
    """The case with every value, its evidence and documents; NotFound when there is none."""
    return to_case(session, case_record(session, case_id))


def load_cases(session: Session, records: Iterable[CaseRecord]) -> list[Case]:
    """Many cases in three queries, whatever their number (a worklist page)."""
    rows = list(records)
    ids = [row.id for row in rows]
    values: dict[str, dict[str, Any]] = {case_id: {} for case_id in ids}
    for value in session.execute(
        select(CaseValueRecord).where(CaseValueRecord.case_id.in_(ids))
    ).scalars():
        values[value.case_id][value.field] = _value_dict(value)
    documents: dict[str, list[str]] = {case_id: [] for case_id in ids}
    for case_id, document_id in session.execute(
        select(CaseDocument.case_id, CaseDocument.document_id)
        .where(CaseDocument.case_id.in_(ids))
        .order_by(CaseDocument.added_at, CaseDocument.document_id)
    ):
        documents[case_id].append(document_id)
    return [_assemble(row, values[row.id], documents[row.id]) for row in rows]


def to_case(session: Session, record: CaseRecord) -> Case:
    return load_cases(session, [record])[0]


def _assemble(record: CaseRecord, values: dict[str, Any], document_ids: list[str]) -> Case:
    return Case.model_validate(
        {
            "id": record.id,
            "status": record.status,
            "version": record.version,
            "received_at": record.received_at,
            "due_at": record.due_at,
            "payer_clock": record.payer_clock,
            "document_ids": document_ids,
            "created_by": record.created_by,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            **values,
        }
    )


def _value_dict(row: CaseValueRecord) -> dict[str, Any]:
    return {
        "value": row.value,
        "evidence": row.evidence,
        "source": row.source,
        "confidence": row.confidence,
        "original": row.original,
        "corrected_by": row.corrected_by,
        "corrected_at": row.corrected_at,
    }


def put_value(session: Session, case_id: str, field: str, value: CaseValue[Any]) -> None:
    """Insert or replace one value of a case."""
    dumped = value.model_dump(mode="json")
    row = session.get(CaseValueRecord, (case_id, field))
    if row is None:
        row = CaseValueRecord(case_id=case_id, field=field)
        session.add(row)
    row.value = dumped["value"]
    row.evidence = dumped["evidence"]
    row.source = value.source.value
    row.confidence = value.confidence
    row.original = dumped["original"]
    row.corrected_by = value.corrected_by
    row.corrected_at = value.corrected_at


def case_document_ids(session: Session, case_id: str) -> list[str]:
    return list(
        session.execute(
            select(CaseDocument.document_id)
            .where(CaseDocument.case_id == case_id)
            .order_by(CaseDocument.added_at, CaseDocument.document_id)
        ).scalars()
    )


def set_clock(record: CaseRecord, case: Case, clock: PayerClock | None) -> None:
    """Copy the case's urgency, payer and clock onto the row the worklist queries."""
    record.urgency = case.effective_urgency.value
    record.payer = case.raw("payer")
    record.plan = case.raw("plan")
    record.payer_clock = clock.model_dump(mode="json") if clock else None
    record.due_at = due_at(record.received_at, case.effective_urgency, clock)
    record.at_risk_at = at_risk_from(record.received_at, record.due_at)
