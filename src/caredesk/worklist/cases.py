"""Open cases from an extraction or by hand, correct values, attach documents, move status.

Every function works in the caller's session (one transaction) and audits what it changes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from caredesk.audit.log import Actor, record
from caredesk.domain.cases import (
    CASE_FIELDS,
    Case,
    CaseStatus,
    CaseValue,
    ServiceLine,
    ValueSource,
    may_move,
    parse_field_value,
    values_from_extraction,
)
from caredesk.domain.clocks import Urgency
from caredesk.domain.documents import ExtractionResult
from caredesk.domain.errors import Conflict, InputRejected, NotFound
from caredesk.ingest.store import load_extraction
from caredesk.storage.models import CaseDocument, CaseRecord, Document, utcnow
from caredesk.worklist.payer_clocks import ClockLookup
from caredesk.worklist.records import case_record, load_case, put_value, set_clock

SOURCE, ATTACHED = "source", "attached"


class CaseEntry(BaseModel):
    """A case typed in by hand; every value given becomes a `manual` case value."""

    model_config = ConfigDict(extra="forbid")

    patient_name: str | None = None
    date_of_birth: date | None = None
    member_id: str | None = None
    payer: str | None = Field(None, description="Payer id: quillfeather, tumbleweed, ...")
    plan: str | None = None
    procedure_codes: list[ServiceLine] = Field(default_factory=list)
    diagnosis_codes: list[str] = Field(default_factory=list)
    ordering_provider_name: str | None = None
    ordering_provider_npi: str | None = None
    rendering_provider_name: str | None = None
    rendering_provider_npi: str | None = None
    urgency: Urgency | None = None
    date_of_service: date | None = None
    received_at: datetime | None = Field(None, description="When the request arrived (now)")
    document_ids: list[str] = Field(default_factory=list)

    def case_values(self) -> dict[str, CaseValue[Any]]:
        given = {name: getattr(self, name) for name in CASE_FIELDS}
        return {
            name: CaseValue[Any](value=parse_field_value(name, raw), source=ValueSource.MANUAL)
            for name, raw in given.items()
            if raw not in (None, "", [])
        }


def open_case_from_extraction(
    session: Session,
    extraction: ExtractionResult,
    *,
    actor: Actor,
    received_at: datetime | None = None,
    clock_lookup: ClockLookup | None = None,
) -> Case:
    """A new case from a referral or PA request; every value keeps its evidence.

    `received_at` defaults to when the document arrived. A document opens at most one case.
    """
    found = values_from_extraction(extraction)
    document = _document(session, extraction.document_id)
    existing = _case_opened_from(session, document.id)
    if existing is not None:
        raise Conflict(f"document {document.id} already opened case {existing}", case_id=existing)
    return _open(
        session,
        found.values,
        document_ids=[document.id],
        received_at=received_at or document.created_at,
        actor=actor,
        origin={"origin": "extraction", "unusable_fields": sorted(found.problems)},
        clock_lookup=clock_lookup,
    )


def open_case_from_document(
    session: Session,
    document_id: str,
    *,
    actor: Actor,
    clock_lookup: ClockLookup | None = None,
) -> Case:
    """A new case from a stored document's extraction (see `stored_extraction`)."""
    return open_case_from_extraction(
        session, stored_extraction(session, document_id), actor=actor, clock_lookup=clock_lookup
    )


def stored_extraction(session: Session, document_id: str) -> ExtractionResult:
    """What ingestion understood of a document (corrections applied), or Conflict while it
    has not read it yet."""
    document = _document(session, document_id)
    extraction = load_extraction(session, document_id)
    if extraction is None:
        raise Conflict(
            f"document {document_id} has no extraction yet (status {document.status}); "
            "wait for ingestion or enter the case by hand",
            document_id=document_id,
        )
    return extraction


def open_case(
    session: Session, entry: CaseEntry, *, actor: Actor, clock_lookup: ClockLookup | None = None
) -> Case:
    """A new case typed in by hand (documents may be linked at once or attached later)."""
    values = entry.case_values()
    if not values and not entry.document_ids:
        raise InputRejected("a case needs at least one value or document")
    for document_id in entry.document_ids:
        _document(session, document_id)
    return _open(
        session,
        values,
        document_ids=list(dict.fromkeys(entry.document_ids)),
        received_at=entry.received_at or utcnow(),
        actor=actor,
        origin={"origin": "manual"},
        clock_lookup=clock_lookup,
    )


def _open(
    session: Session,
    values: dict[str, CaseValue[Any]],
    *,
    document_ids: list[str],
    received_at: datetime,
    actor: Actor,
    origin: dict[str, Any],
    clock_lookup: ClockLookup | None,
) -> Case:
    if received_at.tzinfo is None:
        raise InputRejected("received_at must carry a time zone")
    row = CaseRecord(status=CaseStatus.OPEN.value, received_at=received_at, created_by=actor.id)
    # The clock needs the case's values before the case has an id.
    provisional = Case(id="new", received_at=received_at, due_at=received_at, **values)
    set_clock(row, provisional, clock_lookup(provisional) if clock_lookup else None)
    session.add(row)
    session.flush()
    for name, value in values.items():
        put_value(session, row.id, name, value)
    _link(session, row.id, document_ids, actor, first_is_source=origin["origin"] == "extraction")
    details = {
        **origin,
        "fields": sorted(values),
        "document_ids": document_ids,
        "urgency": row.urgency,
        "payer": row.payer,
        "due_at": row.due_at.isoformat(),
        "payer_clock": row.payer_clock,
    }
    record(session, actor, "case.create", "case", row.id, details)
    return load_case(session, row.id)


def _link(
    session: Session, case_id: str, document_ids: list[str], actor: Actor, *, first_is_source: bool
) -> None:
    for n, document_id in enumerate(document_ids):
        role = SOURCE if n == 0 and first_is_source else ATTACHED
        session.add(
            CaseDocument(case_id=case_id, document_id=document_id, role=role, added_by=actor.id)
        )
    session.flush()


def correct_value(
    session: Session,
    case_id: str,
    field: str,
    value: object,
    *,
    actor: Actor,
    expected_version: int | None = None,
    clock_lookup: ClockLookup | None = None,
) -> Case:
    """Replace one value with a person's correction; the first recorded value is kept.

    Correcting urgency, payer, plan or codes recomputes the due date. With
    `expected_version`, a case changed meanwhile is a Conflict.
    """
    row = _locked(session, case_id, expected_version)
    case = load_case(session, case_id)
    new_value = parse_field_value(field, value)
    current = case.value_of(field)
    corrected = (
        current.corrected(new_value, by=actor.id, at=utcnow())
        if current is not None
        else CaseValue[Any](value=new_value, source=ValueSource.MANUAL)
    )
    put_value(session, case_id, field, corrected)
    before_due = row.due_at
    updated = case.model_copy(update={field: corrected})
    clock = clock_lookup(updated) if clock_lookup else updated.payer_clock
    set_clock(row, updated, clock)
    _bump(session, row)
    details = {
        "field": field,
        "before": None if current is None else _jsonable(current.value),
        "after": _jsonable(new_value),
        "before_source": None if current is None else current.source.value,
        "due_at_before": before_due.isoformat(),
        "due_at_after": row.due_at.isoformat(),
    }
    record(session, actor, "case.value.correct", "case", case_id, details)
    return load_case(session, case_id)


def attach_document(session: Session, case_id: str, document_id: str, *, actor: Actor) -> Case:
    """Link another document (a clinical note, a payer letter) to the case."""
    row = case_record(session, case_id)
    _document(session, document_id)
    if session.get(CaseDocument, (case_id, document_id)) is not None:
        raise Conflict(f"document {document_id} is already attached to case {case_id}")
    session.add(
        CaseDocument(case_id=case_id, document_id=document_id, role=ATTACHED, added_by=actor.id)
    )
    _bump(session, row)
    record(session, actor, "case.document.attach", "case", case_id, {"document_id": document_id})
    return load_case(session, case_id)


def change_status(
    session: Session, case_id: str, status: CaseStatus, *, actor: Actor, reason: str = ""
) -> Case:
    """Move the case along its life cycle; a move the table does not allow is a Conflict."""
    row = case_record(session, case_id)
    before = CaseStatus(row.status)
    if before is not status:
        if not may_move(before, status):
            raise Conflict(f"a case that is {before.value} cannot become {status.value}")
        row.status = status.value
        _bump(session, row)
        record(
            session,
            actor,
            "case.status",
            "case",
            case_id,
            {"before": before.value, "after": status.value, "reason": reason},
        )
    return load_case(session, case_id)


def _locked(session: Session, case_id: str, expected_version: int | None) -> CaseRecord:
    row = case_record(session, case_id)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            f"case {case_id} changed meanwhile (version {row.version}, you sent "
            f"{expected_version}); reload and try again",
            current_version=row.version,
        )
    return row


def _bump(session: Session, row: CaseRecord) -> None:
    """Touch the row so its version advances; a concurrent writer's flush then conflicts."""
    case_id = row.id  # read now: a failed flush expires the row
    row.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"case {case_id} changed meanwhile; reload and try again") from None


def _document(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document {document_id}", document_id=document_id)
    return document


def _case_opened_from(session: Session, document_id: str) -> str | None:
    return session.execute(
        select(CaseDocument.case_id).where(
            CaseDocument.document_id == document_id, CaseDocument.role == SOURCE
        )
    ).scalar_one_or_none()


def _jsonable(value: object) -> object:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
