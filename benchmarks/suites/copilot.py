"""Copilot benchmark: end-to-end `ask` latency with the offline engine over 10k chunks, and
throughput of `POST /api/copilot/ask` under 8 concurrent HTTP clients (uvicorn, httpx)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn

from caredesk.accounts.service import create_user, issue_token
from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.copilot import Copilot, Question
from caredesk.knowledge.embeddings import CachedEmbedder, MiniLmEmbedder
from caredesk.knowledge.loader import load_folder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings
from caredesk.storage.db import transaction

ROOT = Path(__file__).resolve().parents[2]
KB_PATH = ROOT / "knowledge_base"
CACHE = ROOT / "benchmarks" / ".cache" / "copilot"
RETRIEVAL_CACHE = ROOT / "benchmarks" / ".cache" / "retrieval"
TIERS = {"small": 0, "full": 10_000}  # 0: the shipped knowledge base as it is
CLIENTS = 8
PER_CLIENT = {"small": 4, "full": 12}
GOAL_P95_MS = 300.0


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


RETRIEVAL = _module("retrieval_bench_for_copilot", ROOT / "benchmarks" / "suites" / "retrieval.py")
EVAL = _module("copilot_eval_for_bench", ROOT / "evals" / "suites" / "copilot.py")


@dataclass(frozen=True)
class Corpus:
    name: str
    data_dir: Path
    kb_path: Path
    chunks: int
    build_s: float


def settings_for(corpus: Corpus, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": corpus.data_dir, "kb_path": corpus.kb_path, "vector_url": "",
        "kb_autoload": False, "seed_demo": False, "log_level": "WARNING",
    }  # fmt: skip
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


def build_corpus(size: str, model: MiniLmEmbedder) -> Corpus:
    """The shipped knowledge base, or synthetic copies of it up to the tier's chunk count
    (the retrieval benchmark's scale-up, vectors from the shared cache when it has them)."""
    wanted = TIERS[size]
    folder = KB_PATH if not wanted else CACHE / f"kb-{wanted}"
    data_dir = CACHE / f"var-{wanted or 'base'}"
    if wanted:
        RETRIEVAL.write_tier(folder, load_folder(KB_PATH).documents, wanted)
        _seed_vectors(data_dir, wanted)
    for stale in ("kb", "chroma", "caredesk.db"):  # rebuild indexes; keep the vector cache
        target = data_dir / stale
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(True)
    corpus = Corpus(f"synthetic {wanted:,}" if wanted else "shipped", data_dir, folder, 0, 0.0)
    kb = KnowledgeBase(settings_for(corpus), embedder=model)
    started = time.perf_counter()
    report = kb.load(folder)
    kb.close()
    return Corpus(corpus.name, data_dir, folder, report.chunks, time.perf_counter() - started)


def _seed_vectors(data_dir: Path, tier: int) -> None:
    source = RETRIEVAL_CACHE / f"var-{tier}" / "cache"
    target = data_dir / "cache"
    if target.exists() or not source.is_dir():
        return
    target.mkdir(parents=True)
    for path in source.glob("embeddings-*.sqlite"):
        shutil.copyfile(path, target / path.name)


def questions(size: str) -> list[Any]:
    return list(EVAL.read_items("full" if size == "full" else "small", date.today()))


def latency(corpus: Corpus, model: MiniLmEmbedder, items: list[Any]) -> dict[str, float]:
    """Per-question time of `Copilot.ask` (offline), twice over the questions: first with an
    empty sentence-vector cache (every candidate sentence embedded on the spot), then warm."""
    settings = settings_for(corpus)
    kb = KnowledgeBase(settings, embedder=model)
    with tempfile.TemporaryDirectory() as fresh:
        vectors = CachedEmbedder(model, Path(fresh))
        copilot = Copilot(kb, embedder=vectors)
        started = time.perf_counter()
        copilot.ask(Question(question="Does Quillfeather need PA for 72148?"))  # opens indexes
        warm_up = time.perf_counter() - started
        cold, warm = _timed(copilot, items), _timed(copilot, items)
        vectors.close()
    kb.close()
    return {
        "cold_p50": statistics.median(cold),
        "cold_p95": _percentile(cold, 0.95),
        "p50": statistics.median(warm),
        "p95": _percentile(warm, 0.95),
        "warm_up_s": warm_up,
    }


def _timed(copilot: Copilot, items: list[Any]) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        copilot.ask(Question(question=item.question, payer=item.payer, as_of=item.as_of))
        times.append((time.perf_counter() - started) * 1000)
    return times


def throughput(
    corpus: Corpus, model: MiniLmEmbedder, items: list[Any], size: str
) -> dict[str, float]:
    """Requests per second of `POST /api/copilot/ask` from 8 httpx clients against uvicorn."""
    resources = Resources.build(settings_for(corpus), embedder=model)
    token = _token(resources)
    count = PER_CLIENT[size]
    try:
        with _serving(resources) as base:
            _client_run(base, token, items[:2], 0, 2)  # warm up: open the indexes, read corpus
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                runs = list(
                    pool.map(lambda n: _client_run(base, token, items, n, count), range(CLIENTS))
                )
            seconds = time.perf_counter() - started
    finally:
        resources.close()
    times = [t for run in runs for t in run]
    return {
        "requests": len(times),
        "seconds": seconds,
        "rps": len(times) / seconds,
        "p50": statistics.median(times),
        "p95": _percentile(times, 0.95),
    }


@contextmanager
def _serving(resources: Resources) -> Iterator[str]:
    """uvicorn on a free localhost port in a thread; yields the base URL."""
    port = _free_port()
    app = create_app(resources.settings, resources=resources)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _client_run(base: str, token: str, items: list[Any], offset: int, count: int) -> list[float]:
    """One client asking `count` questions in turn; the time of each request."""
    times = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for n in range(count):
            item = items[(offset * count + n) % len(items)]
            started = time.perf_counter()
            _post(client, item)
            times.append((time.perf_counter() - started) * 1000)
    return times


def _post(client: httpx.Client, item: Any) -> None:
    body = {"question": item.question, "payer": item.payer, "as_of": item.as_of.isoformat()}
    response = client.post("/api/copilot/ask", json=body)
    response.raise_for_status()


def _token(resources: Resources) -> str:
    with transaction(resources.db) as session:
        user, _ = create_user(session, "bench", "coordinator", by=SYSTEM)
        return issue_token(session, user, "bench")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else 0.0


def run(size: str) -> dict[str, Any]:
    model = MiniLmEmbedder()
    corpus = build_corpus(size, model)
    items = questions(size)
    asked = latency(corpus, model, items)
    served = throughput(corpus, model, items, size)
    metrics = {
        "ask_p50_ms": asked["p50"],
        "ask_p95_ms": asked["p95"],
        "ask_cold_p50_ms": asked["cold_p50"],
        "ask_cold_p95_ms": asked["cold_p95"],
        "http_rps_8_clients": served["rps"],
        "http_p95_ms_8_clients": served["p95"],
        "chunks": float(corpus.chunks),
    }
    return {"metrics": metrics, "markdown": markdown(corpus, len(items), asked, served)}


def markdown(corpus: Corpus, n: int, asked: dict[str, float], served: dict[str, float]) -> str:
    verdict = "met" if asked["p95"] < GOAL_P95_MS else "**missed**"
    cold_verdict = "met" if asked["cold_p95"] < GOAL_P95_MS else "**missed**"
    return "\n".join(
        [
            f"Offline engine over the {corpus.name} knowledge base ({corpus.chunks:,} chunks; "
            f"index built in {corpus.build_s:.0f} s). {n} eval questions, each with its payer "
            "and date. `ask` = read the question, hybrid search, rank and quote sentences (with "
            "MiniLM re-ranking), verify, assemble; the first question (opening the indexes, "
            f"reading the corpus: {asked['warm_up_s']:.1f} s) is not measured.",
            "",
            "| measure | p50 ms | p95 ms | goal |",
            "|---|---:|---:|---|",
            f"| `Copilot.ask`, first pass (sentence vectors computed) | {asked['cold_p50']:.0f} "
            f"| {asked['cold_p95']:.0f} | p95 < {GOAL_P95_MS:.0f} ms: {cold_verdict} |",
            f"| `Copilot.ask`, second pass (sentence vectors cached) | {asked['p50']:.0f} "
            f"| {asked['p95']:.0f} | p95 < {GOAL_P95_MS:.0f} ms: {verdict} |",
            f"| `POST /api/copilot/ask`, {CLIENTS} concurrent clients | {served['p50']:.0f} "
            f"| {served['p95']:.0f} | |",
            "",
            f"Throughput: {served['requests']:.0f} requests from {CLIENTS} httpx clients against "
            f"uvicorn on 127.0.0.1 in {served['seconds']:.1f} s = **{served['rps']:.1f} "
            "requests/s** (each request also stores the thread turn and an audit event in "
            "SQLite). Two CPU cores shared with other work: figures are a floor.",
        ]
    )


if __name__ == "__main__":
    outcome = run(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(outcome["markdown"])
    print(outcome["metrics"])
