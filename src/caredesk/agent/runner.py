"""Run the agent: bounded, checkpointed, audited; in the foreground or as a durable job.

Each node runs inside a wrapper that enforces the bounds (a step or the clock past its limit
ends the run cleanly: the state so far goes straight to `route`), audits the step, reports
progress, and for `route` saves the result. A crash leaves the last checkpoint; running the
same run id again resumes there, and nothing before it runs twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from caredesk.agent import drafting, nodes
from caredesk.agent.budget import Limits, Meter, Usage
from caredesk.agent.graph import AgentGraph, Node, checkpointer
from caredesk.agent.model_check import ASSESS_PROMPT, ModelChecker
from caredesk.agent.nodes import NodeContext, StepNote, Update
from caredesk.agent.rules import RULES_REF
from caredesk.agent.runs import (
    FINISHED,
    AgentRunView,
    RunRecorder,
    run_record,
    start_run,
    view,
)
from caredesk.agent.state import (
    ASSESS,
    CHECKLIST,
    DRAFT_OUTREACH,
    DRAFT_SUMMARY,
    FULL_PATH,
    GATHER_EVIDENCE,
    IDENTIFY,
    NO_PA_NOTE,
    PA_REQUIRED,
    ROUTE,
    SCORE,
    SHORT_PATH,
    AgentState,
)
from caredesk.agent.templates import ComposedDraft
from caredesk.agent.tools import CaseTools
from caredesk.audit.log import Actor
from caredesk.domain.drafts import Provenance
from caredesk.domain.errors import BudgetExceeded, CaredeskError, InputRejected, NotFound
from caredesk.domain.packets import PacketChecklist, Routing
from caredesk.jobs.runner import Handler, JobContext
from caredesk.knowledge.service import KnowledgeBase
from caredesk.llm import OFFLINE, OFFLINE_FALLBACK, ChatModel, PromptRegistry
from caredesk.storage.db import transaction

Body = Callable[[AgentState, NodeContext], Update]
BODIES: dict[str, Body] = {
    IDENTIFY: nodes.identify,
    PA_REQUIRED: nodes.pa_required,
    NO_PA_NOTE: drafting.pa_note,
    CHECKLIST: nodes.checklist,
    GATHER_EVIDENCE: nodes.gather_evidence,
    ASSESS: nodes.assess,
    DRAFT_SUMMARY: drafting.draft_summary,
    DRAFT_OUTREACH: drafting.draft_outreach,
    SCORE: nodes.score,
    ROUTE: nodes.route,
}
Progress = Callable[[str, int, int], None]


@dataclass
class AgentDeps:
    """What a run needs; `before_node` is a test hook (called as each node starts)."""

    db: sessionmaker[Session]
    read_db: sessionmaker[Session]
    kb: KnowledgeBase
    prompts: PromptRegistry
    database_url: str
    chat: ChatModel | None = None
    limits: Limits = field(default_factory=Limits)
    review_threshold: float = 0.80
    before_node: Callable[[str], None] | None = None

    @property
    def engine(self) -> str:
        return self.chat.name if self.chat is not None else OFFLINE

    @property
    def model(self) -> str:
        return self.chat.model if self.chat is not None else ""


def run_agent(deps: AgentDeps, run_id: str, progress: Progress | None = None) -> AgentRunView:
    """Run (or resume) one run to its end; returns its final state as the API shows it."""
    recorder = RunRecorder(deps.db, run_id, deps.review_threshold)
    with deps.read_db() as session:
        row = run_record(session, run_id)
        if row.status in FINISHED:
            return view(row)
        case_id = row.case_id
    recorder.running(deps.engine, deps.model)
    tools = CaseTools(case_id, deps.read_db, deps.kb)
    checker = ModelChecker(deps.chat, deps.prompts) if deps.chat is not None else None
    wrapped = {
        name: _wrap(name, body, deps, tools, checker, recorder, progress)
        for name, body in BODIES.items()
    }
    initial: AgentState = {"case_id": case_id, "run_id": run_id, "engine": deps.engine,
                           "model": deps.model, "usage": Usage().as_json()}  # fmt: skip
    with checkpointer(deps.database_url) as saver:
        graph = AgentGraph(wrapped, saver)
        graph.run(run_id, initial, step_limit=deps.limits.steps)
        graph.forget(run_id)
    with deps.read_db() as session:
        return view(run_record(session, run_id))


def _wrap(
    name: str,
    body: Body,
    deps: AgentDeps,
    tools: CaseTools,
    checker: ModelChecker | None,
    recorder: RunRecorder,
    progress: Progress | None,
) -> Node:
    def node(state: AgentState) -> dict[str, Any]:
        if deps.before_node is not None:
            deps.before_node(name)
        meter = Meter(deps.limits, Usage.from_json(state.get("usage")))
        ctx = NodeContext(tools, meter, checker, deps.review_threshold)
        update = _run_body(name, body, state, ctx)
        usage = meter.settle()
        done = [*state.get("nodes_done", []), name]
        update |= {"usage": usage.as_json(), "nodes_done": [name]}
        merged: AgentState = {**state, **update, "nodes_done": done}  # type: ignore[typeddict-item]
        total = _total(merged)
        recorder.step(name, _audit(ctx.note, merged, checker), done, total, usage)
        if name == ROUTE:
            recorder.finish(*_result(merged, deps))
        if progress is not None:
            progress(name, len(done), total)
        return update

    return node


def _run_body(name: str, body: Body, state: AgentState, ctx: NodeContext) -> Update:
    """The node's update; a bound reached before or inside it stops the run cleanly."""
    try:
        if name != ROUTE:  # the run always ends through `route`, which saves what there is
            ctx.meter.begin_step(name)
        return body(state, ctx)
    except BudgetExceeded as stop:
        ctx.note.counts["stopped"] = 1
        return {"stopped": stop.reason}


def _total(state: AgentState) -> int:
    if state.get("stopped"):
        done = state.get("nodes_done", [])
        return len(done) + (0 if ROUTE in done else 1)
    path = SHORT_PATH if state.get("pa_path") == "not_required" else FULL_PATH
    return len(path)


def _audit(note: StepNote, state: AgentState, checker: ModelChecker | None) -> dict[str, Any]:
    """The step's audit details: prompts, engine, sources and counts, never document text."""
    return {
        "prompts": sorted(set(note.prompts)),
        "engine": _engine(state, checker),
        "model": checker.model if checker is not None else "",
        "sources": sorted(note.sources),
        "counts": dict(note.counts),
        "stopped": state.get("stopped", ""),
    }


def _engine(state: AgentState, checker: ModelChecker | None) -> str:
    """The engine behind the verdicts: offline; the model; or the fallback when it failed."""
    if checker is None:
        return OFFLINE
    opinions = (state.get("model_opinions") or {}).values()
    answered = [o for o in opinions if not o.get("failed")]
    if answered:
        return checker.engine
    return OFFLINE_FALLBACK if any(o.get("failed") for o in opinions) else OFFLINE


def _result(
    state: AgentState, deps: AgentDeps
) -> tuple[PacketChecklist, Routing, Provenance, list[ComposedDraft], str]:
    checklist = PacketChecklist.model_validate(state["checklist"])
    routing = Routing.model_validate(state["routing"])
    engine = _engine(state, ModelChecker(deps.chat, deps.prompts) if deps.chat else None)
    prompt = f"{ASSESS_PROMPT}@{_assess_version(deps)}" if engine == deps.engine != OFFLINE else ""
    read = [e.document_id for item in checklist.items for e in item.evidence]
    provenance = Provenance(
        prompt=prompt or RULES_REF,
        engine=engine,
        model=deps.model if engine == deps.engine else "",
        source_ids=tuple(dict.fromkeys([p.ref for p in checklist.policies] + read)),
        confidence=routing.confidence,
        run_id=state.get("run_id"),
    )
    drafts = [ComposedDraft.model_validate(raw) for raw in state.get("drafts", [])]
    return checklist, routing, provenance, drafts, state.get("stopped", "")


def _assess_version(deps: AgentDeps) -> int:
    return deps.prompts.get(ASSESS_PROMPT).header.version


def start_and_run(
    deps: AgentDeps, case_id: str, actor: Actor, progress: Progress | None = None
) -> AgentRunView:
    """A run in the foreground (the CLI): started, then run to its end in this thread."""
    with transaction(deps.db) as session:
        row = start_run(session, case_id, actor, deps.limits, deps.engine, deps.model)
        run_id = row.id
    return run_or_record(deps, run_id, progress, final=True)


def run_or_record(
    deps: AgentDeps, run_id: str, progress: Progress | None, *, final: bool
) -> AgentRunView:
    """`run_agent`, with a failure written to the run (final: no retry will follow)."""
    recorder = RunRecorder(deps.db, run_id, deps.review_threshold)
    try:
        return run_agent(deps, run_id, progress)
    except (InputRejected, NotFound) as error:
        recorder.failed(error.reason, final=True)
        raise
    except CaredeskError as error:
        recorder.failed(error.reason, final=final)
        raise
    except Exception as error:
        recorder.failed(f"{type(error).__name__}: {error}", final=final)
        raise


def make_agent_handler(deps: AgentDeps) -> Handler:
    """The `agent_run` job: run or resume the run named in the payload, reporting progress.
    A crash is retried by the queue and resumes from the last checkpoint."""

    def handle(ctx: JobContext) -> None:
        def report(node: str, done: int, total: int) -> None:
            ctx.progress(done, total, node)

        last_try = ctx.job.attempts >= ctx.job.max_attempts
        run_or_record(deps, str(ctx.payload["run_id"]), report, final=last_try)

    return handle
