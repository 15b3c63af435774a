"""Compliance: the full trail of one draft, from the agent run that wrote it to its sending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from caredesk.agent.runs import AgentRunView, run_record, view
from caredesk.api.deps import ResourcesDep, allow
from caredesk.audit.log import iter_events
from caredesk.domain.audit import AuditRecord, canonical_json
from caredesk.domain.drafts import Draft, ReviewDecision
from caredesk.domain.errors import NotFound
from caredesk.domain.roles import AUDITORS
from caredesk.review.records import get_draft
from caredesk.web.rendering import render
from caredesk.web.signoff import SourceLink, source_link, usernames

router = APIRouter()

# Case events that belong to the run that wrote a draft.
RUN_ACTIONS = frozenset(
    {"agent.run.start", "agent.run.finish", "agent.run.fail", "case.assessment"}
)


@dataclass(frozen=True)
class Trail:
    draft: Draft
    run: AgentRunView | None
    events: list[AuditRecord]
    sources: list[SourceLink]
    names: dict[str, str]

    def name(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)

    @property
    def approvals(self) -> list[Any]:
        return [r for r in self.draft.reviews if r.decision is ReviewDecision.APPROVED]

    @property
    def sent(self) -> AuditRecord | None:
        return next((e for e in self.events if e.action == "draft.send"), None)


def _run(session: Session, run_id: str | None) -> AgentRunView | None:
    if not run_id:
        return None
    try:
        return view(run_record(session, run_id))
    except NotFound:
        return None


def _events(session: Session, draft: Draft, run_id: str | None) -> list[AuditRecord]:
    """The draft's own events and its run's events on the case, in chain order."""
    own = list(iter_events(session, object_type="draft", object_id=draft.id))
    run: list[AuditRecord] = []
    if run_id:
        run = [
            event
            for event in iter_events(session, object_type="case", object_id=draft.case_id)
            if event.action in RUN_ACTIONS and (event.details or {}).get("run_id") == run_id
        ]
    return sorted([*own, *run], key=lambda event: event.seq)


def _trail(session: Session, draft_id: str) -> Trail:
    draft = get_draft(session, draft_id)
    run_id = draft.provenance.run_id
    events = _events(session, draft, run_id)
    run = _run(session, run_id)
    people = [draft.created_by, *(v.author for v in draft.versions)]
    people += [r.reviewer for r in draft.reviews] + [e.actor for e in events]
    return Trail(
        draft=draft,
        run=run,
        events=events,
        sources=[source_link(ref) for ref in draft.provenance.source_ids],
        names=usernames(session, [*people, run.started_by if run else ""]),
    )


@router.get("/compliance/drafts/{draft_id}", dependencies=[allow(AUDITORS)], summary="Draft trail")
def draft_trail(request: Request, resources: ResourcesDep, draft_id: str) -> Response:
    """What the draft said in each version and why: prompt id@version, engine, model, sources,
    confidence, the run that wrote it, every review and its approver, the sending, and every
    audit event on the way, with the chain's verification status."""
    with resources.read_db() as session:
        trail = _trail(session, draft_id)
    context = {"trail": trail, "details_json": canonical_json}
    return render(request, "compliance/draft_trail.html", context)
