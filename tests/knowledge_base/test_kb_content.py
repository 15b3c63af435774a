"""Checks the shipped knowledge base and eval question sets against the documented file format."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KB_ROOT = REPO / "knowledge_base"
DATASETS = REPO / "evals" / "datasets"

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CPT = re.compile(r"^\d{5}$")
CPT_LETTER = re.compile(r"^\d{4}[A-Z]$")  # category II/III and PLA codes: 3008F, 0001T, 0037U
HCPCS = re.compile(r"^[A-Z]\d{4}$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")

KINDS = {"policy", "playbook", "regulation", "fee_schedule", "guide"}
CHANNELS = {"portal", "fax", "phone", "x12-278", "fhir-pas"}
CHECKLIST_KINDS = {"clinical", "documentation", "administrative"}
EVIDENCE_FIELDS = {
    "patient_name",
    "date_of_birth",
    "member_id",
    "payer",
    "plan",
    "ordering_provider_name",
    "ordering_provider_npi",
    "rendering_provider_name",
    "rendering_provider_npi",
    "diagnosis_codes",
    "procedure_codes",
    "urgency",
    "date_of_service",
    "clinical_reason",
}
REQUIRED_KEYS = {"id", "title", "kind", "effective_date"}
OPTIONAL_KEYS = {
    "end_date",
    "version",
    "payer",
    "plans",
    "service_codes",
    "pa_required",
    "pa_not_required",
    "pa_conditions",
    "turnaround",
    "submission",
    "appeal_window_days",
    "checklist",
    "patient_notice",
    "source",
    "review_by",
}
CODE_LIST_KEYS = ("service_codes", "pa_required", "pa_not_required")
RETRIEVAL_CATEGORIES = {
    "paraphrase",
    "code_lookup",
    "date_sensitive",
    "payer_confusion",
    "playbook",
    "regulation",
}


@dataclass(frozen=True)
class KbFile:
    """One knowledge-base file: where it lives, its front matter and its heading texts."""

    path: Path
    meta: dict[str, Any]
    headings: tuple[str, ...]
    section_text: dict[str, str]

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "1"))

    @property
    def start(self) -> dt.date:
        return self.meta["effective_date"]  # type: ignore[no-any-return]

    @property
    def end(self) -> dt.date:
        return self.meta.get("end_date") or dt.date.max


def parse_kb_file(path: Path) -> KbFile:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path}: must start with a '---' front-matter line"
    front, sep, body = text[4:].partition("\n---\n")
    assert sep, f"{path}: front matter is not closed by a '---' line"
    meta = yaml.safe_load(front)
    assert isinstance(meta, dict), f"{path}: front matter must be a YAML mapping"
    headings: list[str] = []
    lines: dict[str, list[str]] = defaultdict(list)
    for line in body.splitlines():
        if match := HEADING.match(line):
            headings.append(match.group(2))
        elif headings:
            lines[headings[-1]].append(line)
    section_text = {heading: " ".join(" ".join(text).split()) for heading, text in lines.items()}
    return KbFile(path=path, meta=meta, headings=tuple(headings), section_text=section_text)


@cache
def kb_files() -> tuple[KbFile, ...]:
    return tuple(parse_kb_file(p) for p in sorted(KB_ROOT.rglob("*.md")))


@cache
def payers() -> dict[str, dict[str, Any]]:
    listing = yaml.safe_load((KB_ROOT / "payers.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p for p in listing["payers"]}


@cache
def by_id_version() -> dict[tuple[str, str], KbFile]:
    return {(f.meta["id"], f.version): f for f in kb_files()}


def load_jsonl(name: str) -> list[dict[str, Any]]:
    lines = (DATASETS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def is_code(code: str) -> bool:
    return any(p.match(code) for p in (CPT, CPT_LETTER, HCPCS))


def expand(entry: str) -> list[str]:
    """Expands a code or a same-shape numeric range ("70551-70553") into codes."""
    first, _, last = entry.partition("-")
    if not last:
        return [entry]
    assert CPT.match(first) and CPT.match(last), f"range {entry!r} must join two 5-digit codes"
    assert int(first) <= int(last), f"range {entry!r} runs backwards"
    return [f"{n:05d}" for n in range(int(first), int(last) + 1)]


def rel(f: KbFile) -> str:
    return str(f.path.relative_to(KB_ROOT))


def test_payers_file_lists_three_payers_with_plans() -> None:
    assert set(payers()) == {"quillfeather", "tumbleweed", "lanternfish"}
    for payer_id, payer in payers().items():
        assert SLUG.match(payer_id)
        assert isinstance(payer["name"], str) and payer["name"]
        assert all(isinstance(a, str) for a in payer.get("aliases", []))
        assert payer["plans"] and all(isinstance(p, str) for p in payer["plans"])


@pytest.mark.parametrize("kb_file", kb_files(), ids=rel)
def test_front_matter_has_required_keys_and_types(kb_file: KbFile) -> None:
    meta = kb_file.meta
    assert meta.keys() >= REQUIRED_KEYS, f"missing {REQUIRED_KEYS - meta.keys()}"
    assert not meta.keys() - REQUIRED_KEYS - OPTIONAL_KEYS, "unknown front-matter keys"
    assert SLUG.match(meta["id"]), f"id {meta['id']!r} is not a slug"
    assert isinstance(meta["title"], str) and meta["title"].strip()
    assert meta["kind"] in KINDS
    assert isinstance(meta.get("version", "1"), str), "quote the version so YAML keeps it a string"
    for key in ("effective_date", "end_date", "review_by"):
        if key in meta:
            assert type(meta[key]) is dt.date, f"{key} must be an ISO date"
    assert kb_file.start <= kb_file.end
    if meta["kind"] == "regulation":
        assert isinstance(meta.get("source"), str) and meta["source"].strip()
    if "patient_notice" in meta:
        assert isinstance(meta["patient_notice"], bool)


@pytest.mark.parametrize("kb_file", kb_files(), ids=rel)
def test_payer_plans_and_channels_are_known(kb_file: KbFile) -> None:
    meta = kb_file.meta
    if "payer" in meta:
        assert meta["payer"] in payers(), f"payer {meta['payer']!r} not in payers.yaml"
        assert set(meta.get("plans", [])) <= set(payers()[meta["payer"]]["plans"])
    else:
        assert "plans" not in meta, "plans need a payer"
    assert set(meta.get("submission", [])) <= CHANNELS
    if "appeal_window_days" in meta:
        assert type(meta["appeal_window_days"]) is int and meta["appeal_window_days"] > 0
    if "turnaround" in meta:
        clock = meta["turnaround"]
        assert set(clock) <= {"expedited_hours", "standard_days"} and clock
        assert all(type(v) is int and v > 0 for v in clock.values())


@pytest.mark.parametrize("kb_file", kb_files(), ids=rel)
def test_codes_are_real_format_and_consistent(kb_file: KbFile) -> None:
    meta = kb_file.meta
    expanded: dict[str, set[str]] = {}
    for key in CODE_LIST_KEYS:
        entries = meta.get(key, [])
        assert all(isinstance(e, str) for e in entries), f"{key}: quote codes as strings"
        expanded[key] = {code for e in entries for code in expand(e)}
        bad = [c for c in expanded[key] if not is_code(c)]
        assert not bad, f"{key}: not CPT/HCPCS format: {bad}"
    conditional: set[str] = set()
    for condition in meta.get("pa_conditions", []):
        assert set(condition) == {"codes", "rule"} and isinstance(condition["rule"], str)
        conditional |= {code for e in condition["codes"] for code in expand(str(e))}
    assert all(is_code(c) for c in conditional)
    assert not expanded["pa_required"] & expanded["pa_not_required"]
    assert not conditional & (expanded["pa_required"] | expanded["pa_not_required"])
    governed = expanded["service_codes"]
    if governed:
        assert expanded["pa_required"] | expanded["pa_not_required"] | conditional <= governed


@pytest.mark.parametrize("kb_file", [f for f in kb_files() if "checklist" in f.meta], ids=rel)
def test_checklist_items_are_well_formed(kb_file: KbFile) -> None:
    items = kb_file.meta["checklist"]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "checklist ids must be unique within the document"
    for item in items:
        assert SLUG.match(item["id"]) and isinstance(item["text"], str) and item["text"]
        assert item["kind"] in CHECKLIST_KINDS
        evidence = item["evidence"]
        assert set(evidence.get("fields", [])) <= EVIDENCE_FIELDS
        keywords = evidence.get("keywords", [])
        assert all(isinstance(k, str) and k for k in keywords)
        assert type(evidence.get("min_keywords", 0)) is int
        assert 0 <= evidence.get("min_keywords", 0) <= len(keywords)
        assert evidence.get("fields") or keywords, f"{item['id']}: no way to find evidence"
    assert any("checklist" in h.lower() for h in kb_file.headings), "no checklist prose section"


@pytest.mark.parametrize("kb_file", kb_files(), ids=rel)
def test_body_has_a_title_and_sections(kb_file: KbFile) -> None:
    text = kb_file.path.read_text(encoding="utf-8")
    levels = [len(m.group(1)) for line in text.splitlines() if (m := HEADING.match(line))]
    assert levels.count(1) == 1, "one '#' title per document"
    assert levels.count(2) >= 5, "sections are what citations point at; write at least five"
    assert len(kb_file.headings) == len(set(kb_file.headings)), "duplicate heading in one file"


def test_id_version_pairs_are_unique() -> None:
    pairs = Counter((f.meta["id"], f.version) for f in kb_files())
    assert not [p for p, n in pairs.items() if n > 1]


def test_versions_of_one_document_do_not_overlap() -> None:
    versions: dict[str, list[KbFile]] = defaultdict(list)
    for f in kb_files():
        versions[f.meta["id"]].append(f)
    multi = {doc_id: fs for doc_id, fs in versions.items() if len(fs) > 1}
    assert multi, "at least one document must ship two versions"
    for doc_id, files in multi.items():
        ordered = sorted(files, key=lambda f: f.start)
        for earlier, later in itertools.pairwise(ordered):
            assert earlier.end < later.start, f"{doc_id}: {earlier.version} overlaps the next"


def test_policies_cover_every_payer() -> None:
    policies = [f for f in kb_files() if f.meta["kind"] == "policy"]
    assert len(policies) >= 10
    assert {f.meta.get("payer") for f in policies} >= set(payers())
    kinds = {f.meta["kind"] for f in kb_files()}
    assert {"policy", "playbook", "regulation"} <= kinds


def check_gold(question: dict[str, Any]) -> None:
    for gold in question["gold"]:
        key = (gold["doc_id"], str(gold["version"]))
        assert key in by_id_version(), f"{question['id']}: no document {key}"
        doc = by_id_version()[key]
        assert gold["section"] in doc.headings, f"{question['id']}: no section {gold['section']!r}"
        if question.get("as_of"):
            as_of = dt.date.fromisoformat(question["as_of"])
            assert doc.start <= as_of <= doc.end, f"{question['id']}: {key} not in force"
        doc_payer = doc.meta.get("payer")
        if question.get("payer") and doc_payer:
            assert doc_payer == question["payer"], f"{question['id']}: gold is another payer's"


def check_must_include_is_in_sources(question: dict[str, Any]) -> None:
    """A required phrase must be something the cited sections actually say."""
    if not question.get("must_include"):
        return
    docs = by_id_version()
    cited = " ".join(
        docs[(g["doc_id"], str(g["version"]))].section_text.get(g["section"], "")
        for g in question["gold"]
    ).lower()
    assert any(phrase.lower() in cited for phrase in question["must_include"]), (
        f"{question['id']}: none of {question['must_include']} is in its gold sections"
    )


def check_question_shape(question: dict[str, Any]) -> None:
    assert isinstance(question["question"], str) and question["question"].strip()
    assert question["payer"] is None or question["payer"] in payers()
    if question["as_of"] is not None:
        dt.date.fromisoformat(question["as_of"])
    assert isinstance(question["gold"], list)


def test_retrieval_questions_point_at_real_sections() -> None:
    questions = load_jsonl("retrieval_questions.jsonl")
    assert len(questions) >= 150
    assert len({q["id"] for q in questions}) == len(questions)
    for question in questions:
        check_question_shape(question)
        assert question["category"] in RETRIEVAL_CATEGORIES
        assert question["gold"], f"{question['id']}: retrieval questions need gold"
        check_gold(question)
    assert {q["category"] for q in questions} == RETRIEVAL_CATEGORIES


def test_copilot_questions_are_well_formed() -> None:
    questions = load_jsonl("copilot_questions.jsonl")
    assert len(questions) >= 100
    assert len({q["id"] for q in questions}) == len(questions)
    unanswerable = [q for q in questions if not q["answerable"]]
    assert len(unanswerable) >= 20
    for question in questions:
        check_question_shape(question)
        assert isinstance(question["category"], str) and question["category"]
        if question["answerable"]:
            assert question["gold"], f"{question['id']}: answerable questions need gold"
            assert question.get("must_include") or question.get("yes_no") in {"yes", "no"}
            assert isinstance(question["gold_answer"], str) and question["gold_answer"]
            check_must_include_is_in_sources(question)
        else:
            assert question["gold"] == [], f"{question['id']}: unanswerable means no gold"
        check_gold(question)
