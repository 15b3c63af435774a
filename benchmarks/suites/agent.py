"""Agent benchmark: wall time of one run per case with the offline engine, p50 / p95, and the
time per graph node. Ingestion is excluded (papers are read beforehand, cached by the eval);
each run includes opening its checkpointer, every node, the audit events and saving drafts."""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select

from caredesk.agent.runner import start_and_run
from caredesk.agent.state import NODES
from caredesk.api.resources import Resources
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.storage.models import AuditEvent

SUITE = Path(__file__).resolve().parents[2] / "evals" / "suites" / "_agent_cases.py"


def _shared() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_agent_cases", SUITE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cases = _shared()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _node_seconds(resources: Resources, case_id: str) -> dict[str, float]:
    """Each node's own time, from the cumulative usage its `agent.step` event carries."""
    with resources.read_db() as session:
        rows = session.execute(
            select(AuditEvent.details)
            .where(AuditEvent.object_id == case_id, AuditEvent.action == "agent.step")
            .order_by(AuditEvent.seq)
        ).scalars()
        steps = [json.loads(row) for row in rows]
    spent, before = {}, 0.0
    for step in steps:
        total = float(step["usage"]["seconds"])
        spent[step["node"]] = total - before
        before = total
    return spent


def run(size: str) -> dict[str, Any]:
    settings = cases.settings_for("bench.db")
    resources = Resources.build(settings, embedder=MiniLmEmbedder())
    runs: list[tuple[str, float]] = []
    per_node: dict[str, list[float]] = defaultdict(list)
    try:
        resources.kb.load(cases.KB_PATH)
        deps = resources.agent_deps()
        for spec in cases.specs(size):
            _, made = cases.papers(spec)
            read = [cases.read_paper(paper, settings) for paper in made]
            case_id = cases.open_case(resources, spec, made, read)
            started = time.perf_counter()
            start_and_run(deps, case_id, cases.COORDINATOR)
            runs.append((spec.category, time.perf_counter() - started))
            for node, seconds in _node_seconds(resources, case_id).items():
                per_node[node].append(seconds)
    finally:
        resources.close()
    return _result(runs, per_node)


def _result(runs: list[tuple[str, float]], per_node: dict[str, list[float]]) -> dict[str, Any]:
    times = [seconds * 1000 for _, seconds in runs]
    metrics = {
        "runs": len(times),
        "run_p50_ms": round(statistics.median(times), 1),
        "run_p95_ms": round(_percentile(times, 0.95), 1),
        "run_max_ms": round(max(times), 1),
    }
    lines = [
        "Offline engine, SQLite, one run per case; ingestion excluded (read beforehand).",
        "",
        "| metric | value |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in metrics.items()],
        "",
        "Node times are each node's own work; the rest of a run is opening the checkpointer,",
        "writing a checkpoint and an audit event after every node, and saving the assessment",
        "and the drafts (with their disclosure checks and audit events) at the end.",
        "",
        "| node | runs | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for node in NODES:
        values = [seconds * 1000 for seconds in per_node.get(node, [])]
        if values:
            lines.append(
                f"| {node} | {len(values)} | {statistics.median(values):.1f} "
                f"| {_percentile(values, 0.95):.1f} |"
            )
    return {"metrics": metrics, "markdown": "\n".join(lines)}


if __name__ == "__main__":
    print(run(sys.argv[1] if len(sys.argv) > 1 else "small")["markdown"])
