"""Retrieval eval: recall@5 and MRR@10 of vector, BM25 and hybrid search; filter violations."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from caredesk.domain.knowledge import SearchHit, in_force
from caredesk.knowledge.retriever import SearchMode
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "evals" / "datasets" / "retrieval_questions.jsonl"
KB_PATH = ROOT / "knowledge_base"
DATA_DIR = ROOT / "evals" / ".cache" / "retrieval"
SMALL_SIZE = 40
MODES = (SearchMode.HYBRID, SearchMode.VECTOR, SearchMode.BM25)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    payer: str | None
    as_of: date
    gold: frozenset[tuple[str, str, str]]  # (doc_id, version, section title)
    category: str


@dataclass(frozen=True)
class Outcome:
    rank: int | None  # 1-based rank of the first gold chunk in the top 10
    violations: int
    seconds: float


def read_questions(size: str, today: date) -> list[Question]:
    rows = [
        json.loads(line)
        for line in DATASET.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions = [
        Question(
            id=row["id"],
            question=row["question"],
            payer=row.get("payer"),
            as_of=date.fromisoformat(row["as_of"]) if row.get("as_of") else today,
            gold=frozenset((g["doc_id"], g["version"], g["section"]) for g in row["gold"]),
            category=row.get("category", "other"),
        )
        for row in rows
    ]
    return questions if size == "full" else stratified(questions, SMALL_SIZE)


def stratified(questions: list[Question], size: int) -> list[Question]:
    """A fixed slice with every category in proportion (taking every n-th question of each)."""
    by_category: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        by_category[question.category].append(question)
    picked: list[Question] = []
    for members in by_category.values():
        share = max(1, round(size * len(members) / len(questions)))
        step = len(members) / share
        picked += [members[int(i * step)] for i in range(share)]
    return picked


def ask(kb: KnowledgeBase, question: Question, mode: SearchMode) -> Outcome:
    started = time.perf_counter()
    hits = kb.search(question.question, payer=question.payer, as_of=question.as_of, k=10, mode=mode)
    seconds = time.perf_counter() - started
    rank = next((n for n, hit in enumerate(hits, start=1) if key_of(hit) in question.gold), None)
    return Outcome(rank, sum(violates(kb, question, hit) for hit in hits), seconds)


def key_of(hit: SearchHit) -> tuple[str, str, str]:
    return (hit.chunk.doc_id, hit.chunk.version, hit.chunk.section_title)


def violates(kb: KnowledgeBase, question: Question, hit: SearchHit) -> bool:
    """A hit of another payer, or of a version not in force on the question's date."""
    if question.payer is not None and hit.chunk.payer not in (None, question.payer):
        return True
    versions = [d for d in kb.get_document(hit.chunk.doc_id) if d.version == hit.chunk.version]
    return not all(in_force(doc, question.as_of) for doc in versions)


def recall_at(outcomes: list[Outcome], k: int) -> float:
    return sum(o.rank is not None and o.rank <= k for o in outcomes) / max(1, len(outcomes))


def mrr(outcomes: list[Outcome]) -> float:
    return sum(1.0 / o.rank for o in outcomes if o.rank is not None) / max(1, len(outcomes))


def run(size: str) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=DATA_DIR, kb_path=KB_PATH, vector_url="")
    kb = KnowledgeBase(settings)
    load = kb.load()
    questions = read_questions(size, date.today())
    results = {mode: [ask(kb, q, mode) for q in questions] for mode in MODES}
    metrics = summary_metrics(results)
    markdown = report(questions, results, load.documents, load.chunks)
    kb.close()
    return {"metrics": metrics, "markdown": markdown}


def summary_metrics(results: dict[SearchMode, list[Outcome]]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for mode, outcomes in results.items():
        metrics[f"{mode.value}_recall_at_5"] = recall_at(outcomes, 5)
        metrics[f"{mode.value}_mrr_at_10"] = mrr(outcomes)
    best_part = max(metrics["vector_recall_at_5"], metrics["bm25_recall_at_5"])
    metrics["hybrid_gain_over_best_part"] = metrics["hybrid_recall_at_5"] - best_part
    metrics["filter_violations"] = float(
        sum(o.violations for outs in results.values() for o in outs)
    )
    latencies = sorted(o.seconds * 1000 for o in results[SearchMode.HYBRID])
    metrics["hybrid_p95_ms"] = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
    return metrics


INTRO = """\
{n} questions over {versions} document versions, {chunks} chunks. A hit is a retrieved chunk
whose doc id, version and section title match a gold entry; questions without `as_of` are
asked as of the day of the run. Hybrid = reciprocal rank fusion (k=60) of vector and BM25,
plus a code-aware ranking of the chunks that name a code the question names."""


def report(
    questions: list[Question], results: dict[SearchMode, list[Outcome]], versions: int, chunks: int
) -> str:
    intro = INTRO.format(n=len(questions), versions=versions, chunks=chunks)
    misses = [
        q.id
        for q, o in zip(questions, results[SearchMode.HYBRID], strict=True)
        if o.rank is None or o.rank > 5
    ]
    tail = f"Hybrid misses at 5: {', '.join(misses) or 'none'}."
    return "\n\n".join([intro, mode_table(results), category_table(questions, results), tail])


def mode_table(results: dict[SearchMode, list[Outcome]]) -> str:
    lines = [
        "| mode | recall@5 | MRR@10 | recall@1 | p50 ms | p95 ms | filter violations |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, outcomes in results.items():
        times = sorted(o.seconds * 1000 for o in outcomes)
        p95 = times[int(0.95 * (len(times) - 1))]
        violations = sum(o.violations for o in outcomes)
        quality = (
            f"{recall_at(outcomes, 5):.3f} | {mrr(outcomes):.3f} | {recall_at(outcomes, 1):.3f}"
        )
        speed = f"{statistics.median(times):.1f} | {p95:.1f}"
        lines.append(f"| {mode.value} | {quality} | {speed} | {violations} |")
    return "\n".join(lines)


def category_table(questions: list[Question], results: dict[SearchMode, list[Outcome]]) -> str:
    lines = ["Recall@5 by category:", "", "| category | n | hybrid | vector | bm25 |"]
    lines.append("|---|---:|---:|---:|---:|")
    for category in sorted({q.category for q in questions}):
        members = [n for n, q in enumerate(questions) if q.category == category]
        cells = [f"{recall_at([results[m][n] for n in members], 5):.3f}" for m in MODES]
        lines.append(f"| {category} | {len(members)} | {' | '.join(cells)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    outcome = run(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(outcome["markdown"])
    print(json.dumps(outcome["metrics"], indent=1))
