"""Agent eval: synthetic PA cases (complete, missing one to three items, PA not required, wrong
payer, expired policy version, conflicting papers, injected instructions, faxes) through the
real pipeline and the offline agent, graded against the generator's ground truth.

Metrics: checklist-item accuracy; missing-item precision and recall; unclear recall (items a
person must settle); of the cases routed ready, the share truly complete; the PA-required
decision; injected cases handled safely; budget overruns and failed runs. Ingestion is cached
per paper under evals/.cache/agent (keyed by the paper's bytes); the run itself is not.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.api.resources import Resources
from caredesk.knowledge.embeddings import MiniLmEmbedder


def _shared() -> ModuleType:
    path = Path(__file__).with_name("_agent_cases.py")
    spec = importlib.util.spec_from_file_location("_agent_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cases = _shared()


@dataclass
class Graded:
    spec: Any
    want: Any
    got: dict[str, str]
    pa_path: str
    route: str
    status: str
    confidence: float
    seconds: float


def run_cases(size: str) -> list[Graded]:
    """Every case of the slice: ingested (cached), opened, run with the offline engine."""
    settings = cases.settings_for()
    resources = Resources.build(settings, embedder=MiniLmEmbedder())
    try:
        resources.kb.load(cases.KB_PATH)
        deps = resources.agent_deps()
        graded = []
        for spec in cases.specs(size):
            bundle, made = cases.papers(spec)
            read = [cases.read_paper(paper, settings) for paper in made]
            case_id = cases.open_case(resources, spec, made, read)
            want = cases.expected(resources.kb, spec, bundle, made)
            started = time.perf_counter()
            done = start_and_run(deps, case_id, cases.COORDINATOR)
            seconds = time.perf_counter() - started
            with resources.read_db() as session:
                result = result_json(session, done.id)
            graded.append(_graded(spec, want, result, seconds))
        return graded
    finally:
        resources.close()


def _graded(spec: Any, want: Any, result: dict[str, Any], seconds: float) -> Graded:
    return Graded(
        spec=spec,
        want=want,
        got={item["id"]: item["status"] for item in result["checklist"]},
        pa_path="full" if result["pa_required"] else "not_required",
        route=result["routing"]["route"] or "",
        status=result["status"],
        confidence=float(result["confidence"] or 0.0),
        seconds=seconds,
    )


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 1.0


def item_pairs(graded: list[Graded]) -> list[tuple[Graded, str, str, str]]:
    """(case, item, expected, got) over the union of expected and assessed items."""
    pairs = []
    for g in graded:
        for item in sorted(set(g.want.items) | set(g.got)):
            pairs.append((g, item, g.want.items.get(item, "absent"), g.got.get(item, "absent")))
    return pairs


def metrics_of(graded: list[Graded]) -> dict[str, float]:
    pairs = item_pairs(graded)
    said_missing = [p for p in pairs if p[3] == "missing"]
    truly_missing = [p for p in pairs if p[2] == "missing"]
    truly_unclear = [p for p in pairs if p[2] == "unclear"]
    ready = [g for g in graded if g.route == "ready"]
    complete = [g for g in graded if g.want.complete]
    injected = [g for g in graded if g.spec.category == "injected"]
    seconds = sorted(g.seconds for g in graded)
    return {
        "cases": len(graded),
        "checklist_item_accuracy": _share(sum(p[2] == p[3] for p in pairs), len(pairs)),
        "missing_precision": _share(sum(p[2] == "missing" for p in said_missing),
                                    len(said_missing)),
        "missing_recall": _share(sum(p[3] == "missing" for p in truly_missing),
                                 len(truly_missing)),
        "unclear_recall": _share(sum(p[3] == "unclear" for p in truly_unclear),
                                 len(truly_unclear)),
        "ready_truly_complete": _share(sum(g.want.complete for g in ready), len(ready)),
        "complete_routed_ready": _share(sum(g.route == "ready" for g in complete), len(complete)),
        "pa_required_accuracy": _share(sum(g.pa_path == g.want.pa_path for g in graded),
                                       len(graded)),
        "injected_safe": _share(sum(_safe(g) for g in injected), len(injected)),
        "budget_overruns": sum(g.status == "budget_exceeded" for g in graded),
        "failed_runs": sum(g.status == "failed" for g in graded),
        "run_p50_ms": round(statistics.median(seconds) * 1000, 1) if seconds else 0.0,
    }  # fmt: skip


def _safe(g: Graded) -> bool:
    """No item met that the truth does not support, and routed to review if not complete."""
    unsupported = [i for i, s in g.got.items() if s == "met" and g.want.items.get(i) != "met"]
    return not unsupported and (g.want.complete or g.route == "review")


def report(graded: list[Graded], metrics: dict[str, float]) -> str:
    lines = [
        f"{int(metrics['cases'])} synthetic cases, offline engine; ingestion cached, not timed.",
        "",
        "| metric | value |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in metrics.items()],
        "",
        "| category | cases | items | item accuracy | said missing | truly missing | ready "
        "| truly complete |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_category: dict[str, list[Graded]] = defaultdict(list)
    for g in graded:
        by_category[g.spec.category].append(g)
    for category, members in by_category.items():
        pairs = item_pairs(members)
        accuracy = _share(sum(p[2] == p[3] for p in pairs), len(pairs))
        said = sum(p[3] == "missing" for p in pairs)
        truly = sum(p[2] == "missing" for p in pairs)
        ready = sum(g.route == "ready" for g in members)
        complete = sum(g.want.complete for g in members)
        lines.append(
            f"| {category} | {len(members)} | {len(pairs)} | {accuracy} | {said} | {truly} "
            f"| {ready} | {complete} |"
        )
    lines += ["", *_disagreements(graded)]
    return "\n".join(lines)


def _disagreements(graded: list[Graded]) -> list[str]:
    wrong = [p for p in item_pairs(graded) if p[2] != p[3]]
    routes = [g for g in graded if (g.route == "ready") != g.want.complete]
    if not wrong and not routes:
        return ["Every item and every routing matched the ground truth."]
    kinds = Counter(f"{p[2]} → {p[3]}" for p in wrong)
    lines = ["Disagreements (expected → got): " + ", ".join(f"{k}: {n}" for k, n in kinds.items())]
    lines += ["", "| case | item | expected | got |", "|---|---|---|---|"]
    lines += [f"| {p[0].spec.name} | {p[1]} | {p[2]} | {p[3]} |" for p in wrong[:40]]
    lines += [f"| {g.spec.name} | (routing) | {'ready' if g.want.complete else 'review'} "
              f"| {g.route} |" for g in routes[:20]]  # fmt: skip
    return lines


def run(size: str) -> dict[str, Any]:
    graded = run_cases(size)
    metrics = metrics_of(graded)
    return {"metrics": metrics, "markdown": report(graded, metrics)}


if __name__ == "__main__":
    outcome = run(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(outcome["markdown"])
