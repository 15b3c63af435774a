"""Agent runs on a case: start one as a durable job, follow its progress.

| route                                     | intake | coordinator | reviewer | admin |
|-------------------------------------------|:------:|:-----------:|:--------:|:-----:|
| POST /cases/{id}/agent-runs (start)       |        |      x      |          |   x   |
| GET  /cases/{id}/agent-runs, /{run_id}    |        |      x      |    x     |   x   |

Coordinators (and admins) run the agent on the cases they work; the person who starts a
run is recorded and may not approve its drafts (four eyes). Reviewers see runs to audit them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from caredesk.agent.budget import Limits
from caredesk.agent.runs import AgentRunView, enqueue_run, run_record, runs_of, view
from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.domain.roles import CASE_WORKERS, Role
from caredesk.storage.db import transaction

router = APIRouter(prefix="/cases", tags=["cases"])

AGENT_RUNNERS = frozenset({Role.COORDINATOR, Role.ADMIN})


@router.post(
    "/{case_id}/agent-runs",
    dependencies=[allow(AGENT_RUNNERS)],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AgentRunView,
    summary="Run the packet-assembly agent on a case (a background job)",
    responses={
        200: {"description": "A run of this case is already queued or running: that run"},
        409: {"description": "The case is submitted or closed"},
    },
)
def start_run(
    case_id: str, resources: ResourcesDep, principal: CurrentPrincipal, response: Response
) -> AgentRunView:
    """Queues a run: identify payer and service, check whether PA is required as of the date
    of service, build the checklist from the governing policy, gather and assess evidence,
    draft the summary, cover letter and outreach, score and route. Bounded by the
    `CAREDESK_AGENT_MAX_*` settings; follow it at `GET .../agent-runs/{run_id}`. Every draft
    it makes still needs a person's approval, and not that of the person who started it."""
    settings = resources.settings
    engine = resources.chat.name if resources.chat is not None else "offline"
    model = resources.chat.model if resources.chat is not None else ""
    with transaction(resources.db) as session:
        row, created = enqueue_run(
            session, resources.queue, case_id, principal.actor,
            Limits.from_settings(settings), engine, model,
        )  # fmt: skip
        shown = view(row)
    if not created:
        response.status_code = status.HTTP_200_OK
    return shown


@router.get(
    "/{case_id}/agent-runs",
    dependencies=[allow(CASE_WORKERS)],
    response_model=list[AgentRunView],
    summary="The case's agent runs, newest first",
)
def list_runs(
    case_id: str,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[AgentRunView]:
    """Every run of the agent on the case with its status, progress, budget and routing;
    404 when there is no such case."""
    with resources.read_db() as session:
        return [view(row) for row in runs_of(session, case_id, limit)]


@router.get(
    "/{case_id}/agent-runs/{run_id}",
    dependencies=[allow(CASE_WORKERS)],
    response_model=AgentRunView,
    summary="One agent run: status, current node, progress, budget, routing, errors",
)
def get_run(case_id: str, run_id: str, resources: ResourcesDep) -> AgentRunView:
    """`status` is queued, running, completed, budget_exceeded (it stopped at a bound and
    routed the case to review with what it had) or failed (`error` says why). `progress`
    counts the graph's nodes; `budget` shows what was spent against each limit."""
    with resources.read_db() as session:
        return view(run_record(session, run_id, case_id))
