"""Agent runs in the database: start one, record each step, save the result, show the state.

The only writes an agent run makes, each in a short transaction of its own (SQLite keeps
one writer at a time) and each audited: the run's row, `agent.step` per node, and at the
end the assessment (`record_assessment`) and the drafts (`create_draft`) with provenance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caredesk.agent.budget import Limits, Usage
from caredesk.agent.templates import ComposedDraft
from caredesk.audit.log import Actor, record
from caredesk.domain.cases import CaseStatus
from caredesk.domain.drafts import Draft, Provenance
from caredesk.domain.errors import Conflict, NotFound
from caredesk.domain.packets import ItemAssessment, PacketChecklist, Routing
from caredesk.jobs.queue import JobQueue
from caredesk.review.drafts import create_draft
from caredesk.review.records import get_draft
from caredesk.storage.db import transaction
from caredesk.storage.models import AgentRunRecord, ChecklistRun, utcnow
from caredesk.worklist.assessments import record_assessment
from caredesk.worklist.cases import change_status
from caredesk.worklist.records import load_case

QUEUED, RUNNING, COMPLETED, BUDGET_EXCEEDED, FAILED = (
    "queued", "running", "completed", "budget_exceeded", "failed",
)  # fmt: skip
ACTIVE = (QUEUED, RUNNING)
FINISHED = (COMPLETED, BUDGET_EXCEEDED, FAILED)
# A run may start on a case that is being worked; not on one submitted or closed.
RUNNABLE = (CaseStatus.OPEN, CaseStatus.ASSEMBLING, CaseStatus.NEEDS_REVIEW, CaseStatus.READY)


class AgentRunView(BaseModel):
    """A run as the API and the CLI show it."""

    model_config = ConfigDict(frozen=True)

    id: str
    case_id: str
    status: str
    started_by: str
    engine: str
    model: str
    job_id: str | None
    current_node: str
    nodes_done: list[str]
    progress: dict[str, int]
    budget: dict[str, Any]
    routing: dict[str, Any] | None
    confidence: float | None
    assessment_id: str | None
    draft_ids: list[str]
    error: str
    created_at: datetime
    finished_at: datetime | None


def view(row: AgentRunRecord) -> AgentRunView:
    return AgentRunView(
        id=row.id, case_id=row.case_id, status=row.status, started_by=row.started_by,
        engine=row.engine, model=row.model, job_id=row.job_id, current_node=row.current_node,
        nodes_done=list(row.nodes_done),
        progress={"done": len(row.nodes_done), "total": row.nodes_total},
        budget={"used": dict(row.usage), "limits": dict(row.limits)},
        routing=row.routing, confidence=row.confidence, assessment_id=row.assessment_id,
        draft_ids=list(row.draft_ids), error=row.error, created_at=row.created_at,
        finished_at=row.finished_at,
    )  # fmt: skip


def actor_of(row: AgentRunRecord) -> Actor:
    return Actor(row.started_by, row.started_by_role)


def run_record(session: Session, run_id: str, case_id: str | None = None) -> AgentRunRecord:
    row = session.get(AgentRunRecord, run_id)
    if row is None or (case_id is not None and row.case_id != case_id):
        raise NotFound(f"no agent run {run_id}" + (f" for case {case_id}" if case_id else ""))
    return row


def active_run(session: Session, case_id: str) -> AgentRunRecord | None:
    return session.execute(
        select(AgentRunRecord)
        .where(AgentRunRecord.case_id == case_id, AgentRunRecord.status.in_(ACTIVE))
        .order_by(AgentRunRecord.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def runs_of(session: Session, case_id: str, limit: int = 20) -> list[AgentRunRecord]:
    load_case(session, case_id)
    return list(
        session.execute(
            select(AgentRunRecord)
            .where(AgentRunRecord.case_id == case_id)
            .order_by(AgentRunRecord.created_at.desc(), AgentRunRecord.id.desc())
            .limit(limit)
        ).scalars()
    )


def start_run(
    session: Session, case_id: str, actor: Actor, limits: Limits, engine: str, model: str
) -> AgentRunRecord:
    """A queued run for the case, which moves to `assembling`. Audited."""
    case = load_case(session, case_id)
    if case.status not in RUNNABLE:
        raise Conflict(
            f"case {case_id} is {case.status.value}; the agent runs on cases still being worked",
            status=case.status.value,
        )
    row = AgentRunRecord(
        case_id=case_id, status=QUEUED, started_by=actor.id, started_by_role=actor.role,
        engine=engine, model=model, usage=Usage().as_json(), limits=limits.as_json(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    change_status(session, case_id, CaseStatus.ASSEMBLING, actor=actor, reason=f"agent {row.id}")
    details = {"run_id": row.id, "engine": engine, "model": model, "limits": limits.as_json()}
    record(session, actor, "agent.run.start", "case", case_id, details)
    return row


def _back_to_people(session: Session, case_id: str, actor: Actor, run_id: str) -> None:
    """A case left assembling by a failed run goes to review, so nobody waits on it."""
    if load_case(session, case_id).status is CaseStatus.ASSEMBLING:
        change_status(
            session, case_id, CaseStatus.NEEDS_REVIEW, actor=actor, reason=f"agent {run_id} failed"
        )


class RunRecorder:
    """Writes one run's progress and result; each call is its own short transaction."""

    def __init__(self, db: sessionmaker[Session], run_id: str, review_threshold: float) -> None:
        self.db = db
        self.run_id = run_id
        self.review_threshold = review_threshold

    def running(self, engine: str, model: str) -> AgentRunView:
        with transaction(self.db) as session:
            row = run_record(session, self.run_id)
            if row.status not in FINISHED:
                row.status, row.engine, row.model, row.error = RUNNING, engine, model, ""
            return view(row)

    def step(self, node: str, audit: dict[str, Any], nodes_done: Sequence[str], total: int,
             usage: Usage) -> None:  # fmt: skip
        with transaction(self.db) as session:
            row = run_record(session, self.run_id)
            row.current_node, row.nodes_done = node, list(nodes_done)
            row.nodes_total, row.usage = total, usage.as_json()
            details = {"run_id": self.run_id, "node": node, **audit, "usage": usage.as_json()}
            record(session, actor_of(row), "agent.step", "case", row.case_id, details)

    def failed(self, reason: str, *, final: bool) -> None:
        with transaction(self.db) as session:
            row = run_record(session, self.run_id)
            if row.status in (COMPLETED, BUDGET_EXCEEDED):
                return
            row.error = reason[:2000]
            if final:
                row.status, row.finished_at = FAILED, utcnow()
                actor = actor_of(row)
                details = {"run_id": self.run_id, "reason": reason[:300]}
                record(session, actor, "agent.run.fail", "case", row.case_id, details)
                _back_to_people(session, row.case_id, actor, self.run_id)

    def finish(
        self,
        checklist: PacketChecklist,
        routing: Routing,
        provenance: Provenance,
        drafts: Sequence[ComposedDraft],
        stopped: str,
    ) -> None:
        """Save the assessment and every draft with the routing as flags, once per run."""
        with transaction(self.db) as session:
            row = run_record(session, self.run_id)
            if row.assessment_id is not None:
                return  # saved before a crash; the resumed run must not save it twice
            actor = actor_of(row)
            saved = record_assessment(session, row.case_id, checklist, routing, provenance,
                                      actor=actor)  # fmt: skip
            row.draft_ids = [
                self._draft(session, row.case_id, draft, routing, provenance, actor, saved.id)
                for draft in drafts
            ]
            row.assessment_id, row.confidence = saved.id, routing.confidence
            row.engine = provenance.engine
            row.routing = routing.model_dump(mode="json")
            row.status = BUDGET_EXCEEDED if stopped else COMPLETED
            row.error, row.finished_at = stopped, utcnow()
            record(session, actor, "agent.run.finish", "case", row.case_id, _finish_details(row))

    def _draft(
        self,
        session: Session,
        case_id: str,
        draft: ComposedDraft,
        routing: Routing,
        run: Provenance,
        actor: Actor,
        assessment_id: str,
    ) -> str:
        provenance = Provenance(
            prompt=draft.prompt, engine=draft.engine, model=draft.model,
            source_ids=draft.source_ids, confidence=run.confidence, run_id=run.run_id,
        )  # fmt: skip
        saved = create_draft(
            session, case_id, draft.kind, draft.audience, draft.content, provenance, routing,
            actor, fields_used=draft.fields_used, review_threshold=self.review_threshold,
            checklist_run_id=assessment_id,
        )  # fmt: skip
        return saved.id


def _finish_details(row: AgentRunRecord) -> dict[str, Any]:
    routing = row.routing or {}
    return {
        "run_id": row.id,
        "status": row.status,
        "assessment_id": row.assessment_id,
        "drafts": list(row.draft_ids),
        "decision": routing.get("decision"),
        "confidence": row.confidence,
        "engine": row.engine,
        "usage": dict(row.usage),
    }


AGENT_JOB = "agent_run"


def enqueue_run(
    session: Session,
    queue: JobQueue,
    case_id: str,
    actor: Actor,
    limits: Limits,
    engine: str,
    model: str,
) -> tuple[AgentRunRecord, bool]:
    """A new run as a durable job, or the case's run still queued or running (False)."""
    existing = active_run(session, case_id)
    if existing is not None:
        return existing, False
    row = start_run(session, case_id, actor, limits, engine, model)
    # Five tries, backing off 2, 4, 8, 16 s: long enough for a knowledge base still loading
    # at start-up; a crash in between resumes from the run's last checkpoint.
    job = queue.enqueue(
        session, AGENT_JOB, f"{AGENT_JOB}:{row.id}", {"run_id": row.id}, max_attempts=5
    )
    row.job_id = job.id
    return row, True


def result_json(session: Session, run_id: str) -> dict[str, Any]:
    """The run's outcome as `caredesk case run --json` prints it."""
    row = run_record(session, run_id)
    saved = session.get(ChecklistRun, row.assessment_id) if row.assessment_id else None
    checklist = PacketChecklist.model_validate(saved.checklist) if saved else None
    routing = row.routing or {}
    return {
        "case_id": row.case_id,
        "run_id": row.id,
        "status": row.status,
        "engine": row.engine,
        "pa_required": checklist.pa_required if checklist else None,
        "checklist": [_item_json(item) for item in checklist.items] if checklist else [],
        "drafts": [_draft_json(get_draft(session, draft_id)) for draft_id in row.draft_ids],
        "routing": {"route": routing.get("decision"), "reasons": routing.get("reasons", [])},
        "confidence": row.confidence,
        "budget": {"used": dict(row.usage), "limits": dict(row.limits)},
        "error": row.error,
    }


def _item_json(assessed: ItemAssessment) -> dict[str, Any]:
    return {
        "id": assessed.item.id,
        "text": assessed.item.text,
        "status": assessed.status.value,
        "evidence": [e.model_dump(mode="json") for e in assessed.evidence],
        "rationale": assessed.rationale,
        "source": assessed.item.source.ref,
    }


def _draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "kind": draft.kind.value,
        "audience": draft.audience.value,
        "state": draft.state.value,
        "flagged": draft.flagged,
        "reasons": list(draft.reasons),
    }
