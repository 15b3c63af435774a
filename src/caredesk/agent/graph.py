"""The LangGraph adapter: the agent's StateGraph and its checkpointer in the project database.

The one module that imports langgraph. Runs are checkpointed after every node in the
database the rest of caredesk uses (SqliteSaver on the SQLite file, PostgresSaver on
PostgreSQL), thread id = run id, so a run that crashed resumes from its last finished node.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any, Protocol, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from sqlalchemy.engine import make_url

from caredesk.agent.state import (
    ASSESS,
    CHECKLIST,
    DRAFT_OUTREACH,
    DRAFT_SUMMARY,
    GATHER_EVIDENCE,
    IDENTIFY,
    NO_PA_NOTE,
    NODES,
    PA_REQUIRED,
    ROUTE,
    SCORE,
    AgentState,
)


class Node(Protocol):
    """A node as LangGraph calls it: the state in, an update out."""

    def __call__(self, state: AgentState) -> dict[str, Any]: ...


SQLITE_BUSY_TIMEOUT_S = 30.0
# Straight edges of the full path; every one of them yields to `route` once a bound stops the run.
_NEXT = {
    IDENTIFY: PA_REQUIRED,
    CHECKLIST: GATHER_EVIDENCE,
    GATHER_EVIDENCE: ASSESS,
    ASSESS: DRAFT_SUMMARY,
    DRAFT_SUMMARY: DRAFT_OUTREACH,
    DRAFT_OUTREACH: SCORE,
    NO_PA_NOTE: SCORE,
    SCORE: ROUTE,
}


class AgentGraph:
    """The compiled graph over one checkpointer; `run` starts or resumes one thread."""

    def __init__(self, nodes: Mapping[str, Node], saver: BaseCheckpointSaver[Any]) -> None:
        missing = set(NODES) - set(nodes)
        if missing:
            raise ValueError(f"no implementation for nodes {sorted(missing)}")
        self._saver = saver
        self._graph = _build(nodes).compile(checkpointer=saver)

    def has_checkpoint(self, thread_id: str) -> bool:
        return bool(self._graph.get_state(_config(thread_id)).values)

    def run(self, thread_id: str, initial: AgentState, *, step_limit: int) -> AgentState:
        """Run to the end: from the start, or from the last checkpoint of `thread_id`."""
        config = _config(thread_id)
        config["recursion_limit"] = step_limit + len(NODES)
        start = None if self.has_checkpoint(thread_id) else initial
        final = self._graph.invoke(start, config)
        return cast(AgentState, final)

    def forget(self, thread_id: str) -> None:
        """Drop a finished thread's checkpoints (the run row and the audit log keep the story)."""
        self._saver.delete_thread(thread_id)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _build(nodes: Mapping[str, Node]) -> StateGraph[AgentState]:
    graph: StateGraph[AgentState] = StateGraph(AgentState)
    for name in NODES:
        graph.add_node(name, nodes[name])
    graph.add_edge(START, IDENTIFY)
    for name, following in _NEXT.items():
        graph.add_conditional_edges(name, _unless_stopped(following), [following, ROUTE])
    graph.add_conditional_edges(PA_REQUIRED, _after_pa, [CHECKLIST, NO_PA_NOTE, ROUTE])
    graph.add_edge(ROUTE, END)
    return graph


def _unless_stopped(following: str) -> Callable[[AgentState], str]:
    def choose(state: AgentState) -> str:
        return ROUTE if state.get("stopped") else following

    return choose


def _after_pa(state: AgentState) -> str:
    if state.get("stopped"):
        return ROUTE
    return NO_PA_NOTE if state.get("pa_path") == "not_required" else CHECKLIST


@contextmanager
def checkpointer(database_url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    """LangGraph's saver for the project database named by a SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string(plain) as saver:
            saver.setup()
            yield saver
        return
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"no checkpointer for {url.get_backend_name()} databases")
    if not url.database or url.database == ":memory:":
        yield InMemorySaver()
        return
    connection = sqlite3.connect(
        url.database, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_S
    )
    with closing(connection):
        sqlite_saver = SqliteSaver(connection)
        sqlite_saver.setup()
        yield sqlite_saver
