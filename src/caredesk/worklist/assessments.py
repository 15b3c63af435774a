"""Save a case's assessed checklist and routing (what the agent calls), and read it back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.audit.log import Actor, record
from caredesk.domain.cases import CaseStatus
from caredesk.domain.drafts import Provenance
from caredesk.domain.errors import InputRejected
from caredesk.domain.packets import PacketChecklist, Routing, RoutingDecision
from caredesk.storage.models import ChecklistItemRecord, ChecklistRun
from caredesk.worklist.cases import change_status
from caredesk.worklist.records import case_record


class RecordedAssessment(BaseModel):
    """One saved assessment of a case: checklist, routing, provenance, and who ran it."""

    model_config = ConfigDict(frozen=True)

    id: str
    case_id: str
    checklist: PacketChecklist
    routing: Routing
    provenance: Provenance
    recorded_by: str
    created_at: datetime


def record_assessment(
    session: Session,
    case_id: str,
    checklist: PacketChecklist,
    routing: Routing,
    provenance: Provenance,
    *,
    actor: Actor,
) -> RecordedAssessment:
    """Store the checklist with every item's verdict, and route the case.

    `actor` is the person who ran the agent: four eyes keeps them from approving its drafts.
    The case moves to `ready` or `needs_review` as routed.
    """
    if checklist.case_id != case_id:
        raise InputRejected(
            f"the checklist is for case {checklist.case_id}, not {case_id}",
            checklist_case=checklist.case_id,
        )
    case_record(session, case_id)
    run = ChecklistRun(
        case_id=case_id,
        agent_run_id=provenance.run_id,
        decision=routing.decision.value,
        reasons=list(routing.reasons),
        confidence=routing.confidence,
        provenance=provenance.model_dump(mode="json"),
        checklist=checklist.model_dump(mode="json"),
        recorded_by=actor.id,
    )
    session.add(run)
    session.flush()
    _add_items(session, run.id, checklist)
    record(session, actor, "case.assessment", "case", case_id, _audit_details(run, checklist))
    target = (
        CaseStatus.READY if routing.decision is RoutingDecision.READY else CaseStatus.NEEDS_REVIEW
    )
    change_status(session, case_id, target, actor=actor, reason=f"assessment {run.id}")
    return _recorded(run)


def _add_items(session: Session, run_id: str, checklist: PacketChecklist) -> None:
    seen: set[str] = set()
    for assessment in checklist.items:
        if assessment.item.id in seen:
            raise InputRejected(f"checklist item {assessment.item.id!r} appears twice")
        seen.add(assessment.item.id)
        session.add(
            ChecklistItemRecord(
                run_id=run_id,
                item_id=assessment.item.id,
                status=assessment.status.value,
                kind=assessment.item.kind,
                source_ref=assessment.item.source.ref[:255],
                evidence_count=len(assessment.evidence),
            )
        )
    session.flush()


def _audit_details(run: ChecklistRun, checklist: PacketChecklist) -> dict[str, object]:
    return {
        "run_id": run.id,
        "decision": run.decision,
        "reasons": run.reasons,
        "counts": checklist.counts(),
        "pa_required": checklist.pa_required,
        "policies": [policy.ref for policy in checklist.policies],
        "provenance": run.provenance,
    }


def latest_assessment(session: Session, case_id: str) -> RecordedAssessment | None:
    """The case's most recent assessment, or None when it has not been assessed."""
    case_record(session, case_id)
    run = session.execute(
        select(ChecklistRun)
        .where(ChecklistRun.case_id == case_id)
        .order_by(ChecklistRun.created_at.desc(), ChecklistRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if run is None else _recorded(run)


def assessment_runners(session: Session, case_id: str) -> set[str]:
    """Everyone who ran an assessment (the agent) for the case."""
    return set(
        session.execute(
            select(ChecklistRun.recorded_by).where(ChecklistRun.case_id == case_id)
        ).scalars()
    )


def _recorded(run: ChecklistRun) -> RecordedAssessment:
    return RecordedAssessment(
        id=run.id,
        case_id=run.case_id,
        checklist=PacketChecklist.model_validate(run.checklist),
        routing=Routing(
            decision=RoutingDecision(run.decision),
            reasons=tuple(run.reasons),
            confidence=run.confidence,
        ),
        provenance=Provenance.model_validate(run.provenance),
        recorded_by=run.recorded_by,
        created_at=run.created_at,
    )
