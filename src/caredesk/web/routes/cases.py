"""Coordinators: the worklist with due-date countdowns, one case, and the agent's live runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.agent.runs import ACTIVE
from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.routers.agent import get_run, start_run
from caredesk.domain.cases import ACTIVE_STATUSES, CaseStatus
from caredesk.domain.clocks import SlaRisk, Urgency
from caredesk.domain.errors import InputRejected
from caredesk.domain.roles import CASE_WORKERS
from caredesk.web.casework import AGENT_RUNNERS, NODE_LABELS, case_page, worklist_rows
from caredesk.web.rendering import render
from caredesk.worklist.queue import WorklistQuery, WorklistSort

router = APIRouter()

PAGE_SIZE = 50
AGENT_FINISHED_EVENT = "caredesk-agent-finished"
E = TypeVar("E", bound=StrEnum)
# The status filter: the working states first, then the finished ones.
STATUS_CHOICES = [s for s in CaseStatus if s in ACTIVE_STATUSES] + [
    CaseStatus.SUBMITTED,
    CaseStatus.CLOSED,
]


def _choice(kind: type[E], value: str, name: str) -> E | None:
    """A filter from the query string; empty means "any" (forms send empty selects)."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InputRejected(f"{name} must be one of {allowed}, got {value!r}") from None


@router.get("/worklist", dependencies=[allow(CASE_WORKERS)], summary="Worklist")
def worklist(
    request: Request,
    resources: ResourcesDep,
    payer: Annotated[str, Query(max_length=64)] = "",
    urgency: Annotated[str, Query(max_length=16)] = "",
    risk: Annotated[str, Query(max_length=16)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Cases still being worked, overdue and at risk first; filter by payer, urgency, SLA risk
    and status; sort by priority, due date or arrival."""
    chosen_status = _choice(CaseStatus, status, "status")
    query = WorklistQuery(
        payer=payer or None,
        urgency=_choice(Urgency, urgency, "urgency"),
        risk=_choice(SlaRisk, risk, "risk"),
        statuses=(chosen_status,) if chosen_status else (),
        sort=_choice(WorklistSort, sort, "sort") or WorklistSort.PRIORITY,
        limit=PAGE_SIZE,
        offset=offset,
    )
    rows, total = worklist_rows(resources, query)
    filters = {"payer": payer, "urgency": urgency, "risk": risk, "status": status, "sort": sort}
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "filters": filters,
        "sort": query.sort.value,
        "payers": resources.kb.payers(),
        "payer_names": {payer.id: payer.name for payer in resources.kb.payers()},
        "statuses": STATUS_CHOICES,
    }
    return render(request, "worklist.html", context)


@router.get("/cases/{case_id}", dependencies=[allow(CASE_WORKERS)], summary="Case")
def case(
    request: Request, resources: ResourcesDep, principal: CurrentPrincipal, case_id: str
) -> Response:
    """One case: its values with evidence, documents, the agent's checklist and runs, the
    drafts, and the copilot."""
    page = case_page(resources, principal, case_id)
    return render(request, "cases/detail.html", {"page": page, "node_labels": NODE_LABELS})


def _run_fragment(request: Request, case_id: str, run_id: str, resources: ResourcesDep) -> Response:
    run = get_run(case_id, run_id, resources)
    # Once the run is over the page re-reads its checklist, drafts and status by itself.
    headers = None if run.status in ACTIVE else {"HX-Trigger": AGENT_FINISHED_EVENT}
    context = {"run": run, "case_id": case_id, "node_labels": NODE_LABELS}
    return render(request, "cases/_agent_run.html", context, headers=headers)


@router.post(
    "/cases/{case_id}/agent-runs",
    dependencies=[allow(AGENT_RUNNERS)],
    summary="Run the agent (form)",
)
def run_agent(
    request: Request, resources: ResourcesDep, principal: CurrentPrincipal, case_id: str
) -> Response:
    """Queue a run (or show the one already running) and follow its progress."""
    run = start_run(case_id, resources, principal, Response())
    if request.headers.get("hx-request"):
        return _run_fragment(request, case_id, run.id, resources)
    return RedirectResponse(f"/cases/{case_id}#agent", status_code=303)


@router.get(
    "/cases/{case_id}/agent-runs/{run_id}",
    dependencies=[allow(CASE_WORKERS)],
    summary="Agent run progress (fragment)",
)
def agent_run(request: Request, resources: ResourcesDep, case_id: str, run_id: str) -> Response:
    """The run's steps so far; it polls itself every second until the run is over."""
    return _run_fragment(request, case_id, run_id, resources)
