"""PA cases: open from a document or by hand, the worklist, corrections, checklist, packet export.

| route                                   | intake | coordinator | reviewer | admin |
|-----------------------------------------|:------:|:-----------:|:--------:|:-----:|
| POST /cases (open a case)               |   x    |      x      |          |   x   |
| POST /cases/{id}/documents (attach)     |   x    |      x      |          |   x   |
| GET  /cases, /cases/{id}, checklist     |        |      x      |    x     |   x   |
| PUT  /cases/{id}/values/{field}         |        |      x      |          |   x   |
| GET  /cases/{id}/packet.pdf, .fhir.json |        |      x      |    x     |   x   |

Intake staff route incoming paper to cases but do not read the worklist; coordinators work
cases; compliance reviewers read everything they sign off on; corrections are the
coordinators'.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.audit.log import Actor
from caredesk.domain.cases import Case, CaseStatus, parse_field_value
from caredesk.domain.clocks import ClockReading, SlaRisk, Urgency, read_clock
from caredesk.domain.errors import NotFound
from caredesk.domain.roles import CASE_WORKERS, Role
from caredesk.outbox.fhir_pas import build_pas_bundle
from caredesk.outbox.packet import Packet, audit_export, load_packet, payer_directory
from caredesk.outbox.packet_pdf import render_packet_pdf
from caredesk.storage.db import transaction
from caredesk.storage.models import utcnow
from caredesk.worklist.assessments import RecordedAssessment, latest_assessment
from caredesk.worklist.cases import (
    CaseEntry,
    attach_document,
    correct_value,
    open_case,
    open_case_from_document,
)
from caredesk.worklist.payer_clocks import ClockLookup, policy_clock_lookup
from caredesk.worklist.queue import WorklistQuery, WorklistSort, list_worklist
from caredesk.worklist.records import load_case

router = APIRouter(prefix="/cases", tags=["cases"])

CASE_OPENERS = frozenset({Role.INTAKE, Role.COORDINATOR, Role.ADMIN})
CASE_EDITORS = frozenset({Role.COORDINATOR, Role.ADMIN})


class CaseCreate(CaseEntry):
    """Either `document_id` alone (the case is read from that document's extraction), or the
    values typed in by hand (a `document_id` given with them is linked to the case)."""

    document_id: str | None = None


class CaseDetail(Case):
    clock: ClockReading = Field(description="Countdown to the decision due date, read now")
    missing_fields: list[str] = Field(description="Fields a PA request needs that it lacks")


class WorklistItem(BaseModel):
    id: str
    status: CaseStatus
    version: int
    patient_name: str | None
    payer: str | None
    plan: str | None
    urgency: Urgency
    services: list[str] = Field(description="Service codes with units, e.g. `72148 x 1`")
    received_at: datetime
    due_at: datetime
    remaining_s: float = Field(description="Seconds until due (negative: overdue)")
    age_s: float = Field(description="Seconds since the request was received")
    risk: SlaRisk


class WorklistOut(BaseModel):
    items: list[WorklistItem]
    total: int
    limit: int
    offset: int
    now: datetime


class ValueCorrection(BaseModel):
    value: Any = Field(description="The corrected value in the field's type")
    version: int | None = Field(None, description="The case version you saw (409 if stale)")


class AttachDocument(BaseModel):
    document_id: str


def _detail(case: Case) -> CaseDetail:
    clock = read_clock(case.received_at, case.due_at, utcnow())
    return CaseDetail(**dict(case), clock=clock, missing_fields=case.gaps())


def _clock_lookup(resources: ResourcesDep) -> ClockLookup:
    """Payer clocks from the knowledge base's policies in force when the request came in.

    The lookup runs inside the caller's write transaction, so wait for a knowledge-base load
    in progress here, first: on SQLite a writer waiting on the load would stall every job.
    """
    resources.kb.payers()
    return policy_clock_lookup(resources.kb)


@router.post(
    "",
    dependencies=[allow(CASE_OPENERS)],
    status_code=status.HTTP_201_CREATED,
    response_model=CaseDetail,
    summary="Open a case from a document or by hand",
    responses={409: {"description": "The document has no extraction yet, or opened a case"}},
)
def create_case(
    body: CaseCreate, resources: ResourcesDep, principal: CurrentPrincipal
) -> CaseDetail:
    """With only `document_id`, the case is read from that referral or PA request: every value
    keeps its evidence (document, page, box). Otherwise the values given are the case."""
    lookup = _clock_lookup(resources)
    manual = body.model_dump(exclude={"document_id"}, exclude_defaults=True)
    with transaction(resources.db) as session:
        if body.document_id and not manual:
            case = open_case_from_document(
                session, body.document_id, actor=principal.actor, clock_lookup=lookup
            )
        else:
            ids = [body.document_id] if body.document_id else []
            entry = CaseEntry(**{**manual, "document_ids": ids + body.document_ids})
            case = open_case(session, entry, actor=principal.actor, clock_lookup=lookup)
    return _detail(case)


@router.get(
    "",
    dependencies=[allow(CASE_WORKERS)],
    response_model=WorklistOut,
    summary="The worklist: cases with due-date countdowns and SLA risk",
)
def worklist(
    resources: ResourcesDep,
    payer: str | None = None,
    urgency: Urgency | None = None,
    case_status: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    risk: SlaRisk | None = None,
    sort: WorklistSort = WorklistSort.PRIORITY,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorklistOut:
    """Cases still being worked (or those of `status`, repeatable), filtered by payer,
    urgency and SLA risk (`overdue`, `at_risk` = under 25% of the window left, `on_track`).
    `sort=priority` puts overdue first, then at risk, expedited before standard."""
    query = WorklistQuery(
        payer=payer,
        urgency=urgency,
        statuses=tuple(case_status or ()),
        risk=risk,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    with resources.read_db() as session:
        page = list_worklist(session, query, utcnow())
    items = [_item(entry.case, entry.clock) for entry in page.items]
    return WorklistOut(
        items=items, total=page.total, limit=page.limit, offset=page.offset, now=page.now
    )


def _item(case: Case, clock: ClockReading) -> WorklistItem:
    return WorklistItem(
        id=case.id,
        status=case.status,
        version=case.version,
        patient_name=case.raw("patient_name"),
        payer=case.raw("payer"),
        plan=case.raw("plan"),
        urgency=case.effective_urgency,
        services=[f"{line.code} x {line.units}" for line in case.service_lines],
        received_at=case.received_at,
        due_at=case.due_at,
        remaining_s=clock.remaining_s,
        age_s=clock.age_s,
        risk=clock.risk,
    )


@router.get(
    "/{case_id}",
    dependencies=[allow(CASE_WORKERS)],
    response_model=CaseDetail,
    summary="One case: every value with its evidence, source and original",
)
def get_case(case_id: str, resources: ResourcesDep) -> CaseDetail:
    """The case, each value with where it came from (`extracted` with its evidence,
    `corrected` with the original kept, or `manual`), its documents and its clock."""
    with resources.read_db() as session:
        return _detail(load_case(session, case_id))


@router.put(
    "/{case_id}/values/{field}",
    dependencies=[allow(CASE_EDITORS)],
    response_model=CaseDetail,
    summary="Correct one value of a case",
    responses={409: {"description": "The case changed since `version`"}},
)
def correct(
    case_id: str,
    field: str,
    body: ValueCorrection,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
) -> CaseDetail:
    """Replace the value; the extracted original and its evidence are kept, and the change is
    audited with before and after. Urgency, payer and codes recompute the due date."""
    parse_field_value(field, body.value)  # a bad field or value is a 422 before any write
    lookup = _clock_lookup(resources)
    with transaction(resources.db) as session:
        case = correct_value(
            session,
            case_id,
            field,
            body.value,
            actor=principal.actor,
            expected_version=body.version,
            clock_lookup=lookup,
        )
    return _detail(case)


@router.post(
    "/{case_id}/documents",
    dependencies=[allow(CASE_OPENERS)],
    response_model=CaseDetail,
    summary="Attach another document to a case",
)
def attach(
    case_id: str, body: AttachDocument, resources: ResourcesDep, principal: CurrentPrincipal
) -> CaseDetail:
    """Link a clinical note, payer letter or further referral to the case."""
    with transaction(resources.db) as session:
        case = attach_document(session, case_id, body.document_id, actor=principal.actor)
    return _detail(case)


@router.get(
    "/{case_id}/checklist",
    dependencies=[allow(CASE_WORKERS)],
    response_model=RecordedAssessment,
    summary="The case's latest checklist and routing",
    responses={404: {"description": "No such case, or it has not been assessed yet"}},
)
def checklist(case_id: str, resources: ResourcesDep) -> RecordedAssessment:
    """Every checklist item as met / missing / unclear with its cited evidence (document,
    page, box, quote), the routing with its reasons, and the provenance of the run."""
    with resources.read_db() as session:
        found = latest_assessment(session, case_id)
    if found is None:
        raise NotFound(f"case {case_id} has not been assessed yet")
    return found


def _packet(resources: ResourcesDep, case_id: str, export_format: str, actor: Actor) -> Packet:
    payers = payer_directory(resources.settings.kb_path)
    with resources.read_db() as session:
        packet = load_packet(session, case_id, payers=payers)
    with transaction(resources.db) as session:
        audit_export(session, packet, export_format, actor)
    return packet


@router.get(
    "/{case_id}/packet.pdf",
    dependencies=[allow(CASE_WORKERS)],
    response_class=Response,
    summary="Export the packet as PDF",
    responses={200: {"content": {"application/pdf": {}}, "description": "The packet"}},
)
def packet_pdf(case_id: str, resources: ResourcesDep, principal: CurrentPrincipal) -> Response:
    """Cover sheet, checklist table, evidence snippets cropped from the page images with page
    references, then every page of the case's documents. Audited."""
    packet = _packet(resources, case_id, "pdf", principal.actor)
    return Response(
        render_packet_pdf(packet, resources.blobs),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="packet-{case_id}.pdf"'},
    )


@router.get(
    "/{case_id}/packet.fhir.json",
    dependencies=[allow(CASE_WORKERS)],
    summary="Export the packet as a FHIR R4 Da Vinci PAS request Bundle",
    responses={200: {"content": {"application/fhir+json": {}}, "description": "The Bundle"}},
)
def packet_fhir(case_id: str, resources: ResourcesDep, principal: CurrentPrincipal) -> Response:
    """A `collection` Bundle: Claim (`use = preauthorization`) with items, diagnoses and
    supportingInfo referencing a DocumentReference per document; Patient, Coverage,
    Practitioner and Organizations. Validated with fhir.resources. Audited."""
    packet = _packet(resources, case_id, "fhir", principal.actor)
    return Response(
        json.dumps(build_pas_bundle(packet), indent=2, ensure_ascii=False),
        media_type="application/fhir+json",
    )
