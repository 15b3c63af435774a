"""Searching a loaded knowledge base: citations, versions by date, filters that never leak."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from caredesk.domain.errors import InputRejected, NotFound
from caredesk.domain.knowledge import PaStatus, in_force
from caredesk.knowledge.embeddings import MiniLmEmbedder, QueryEmbedder
from caredesk.knowledge.retriever import HybridRetriever, SearchFilters, SearchMode
from caredesk.knowledge.service import KnowledgeBase
from caredesk.knowledge.vector_index import ChunkFilter

PAYERS = ["quillfeather", "tumbleweed", "lanternfish"]
DATES = [date(2024, 6, 1), date(2025, 6, 1), date(2026, 3, 1)]
QUERIES = ["does 72148 need prior authorization", "how long do I have to appeal", "CPAP rental"]

# (question, payer, as_of, gold doc key, gold section)
QUESTIONS = [
    (
        "does 72148 need PA",
        "quillfeather",
        date(2025, 6, 1),
        "qf-imaging@2025",
        "Codes that require prior authorization",
    ),
    (
        "does 72148 need PA",
        "quillfeather",
        date(2026, 3, 1),
        "qf-imaging@2026",
        "Codes that do not require prior authorization",
    ),
    (
        "is a plain X-ray of the lower back reviewed",
        "quillfeather",
        date(2025, 6, 1),
        "qf-imaging@2025",
        "Codes that do not require prior authorization",
    ),
    (
        "how many days until Quillfeather decides a standard request",
        "quillfeather",
        date(2025, 6, 1),
        "qf-imaging@2025",
        "Turnaround times",
    ),
    (
        "how many days until Quillfeather decides a standard request",
        "quillfeather",
        date(2026, 3, 1),
        "qf-imaging@2026",
        "Turnaround times",
    ),
    ("deadline to contest a denial", "tumbleweed", date(2025, 6, 1), "tw-imaging@1", "Appeals"),
    (
        "is PET 78815 reviewed",
        "tumbleweed",
        date(2025, 6, 1),
        "tw-imaging@1",
        "Codes that require prior authorization",
    ),
    (
        "sleep study in a lab",
        "lanternfish",
        date(2025, 6, 1),
        "lf-sleep@1",
        "Codes that require prior authorization",
    ),
    ("home sleep test G0399", "lanternfish", date(2025, 6, 1), "lf-sleep@1", "Home sleep testing"),
    ("E0601 after three months", "lanternfish", date(2025, 6, 1), "lf-sleep@1", "CPAP rental"),
    (
        "when should the doctor talk to the payer's physician",
        "tumbleweed",
        date(2025, 6, 1),
        "pb-peer-to-peer@1",
        "When to ask for one",
    ),
    (
        "federal clock for urgent requests",
        "lanternfish",
        date(2026, 3, 1),
        "cms-decision-timeframes@1",
        "Expedited and standard decisions",
    ),
]


def test_a_hit_quotes_the_exact_source_text(loaded_kb: KnowledgeBase) -> None:
    [hit] = loaded_kb.search(
        "does 72148 need PA", payer="quillfeather", as_of=date(2025, 6, 1), k=1
    )
    assert hit.chunk.doc_key == "qf-imaging@2025"
    assert hit.chunk.section_title == "Codes that require prior authorization"
    [document] = [d for d in loaded_kb.get_document("qf-imaging") if d.version == "2025"]
    assert document.body[hit.chunk.start : hit.chunk.end] == hit.quote
    assert set(hit.as_json()) == {
        "doc_id",
        "version",
        "title",
        "section",
        "score",
        "quote",
        "start",
        "end",
    }
    assert hit.ranks["code"] == 1


def test_the_version_in_force_on_the_as_of_date_answers(loaded_kb: KnowledgeBase) -> None:
    question = "how many days does Quillfeather take for a standard imaging decision"
    [old] = loaded_kb.search(question, payer="quillfeather", as_of=date(2025, 12, 31), k=1)
    [new] = loaded_kb.search(question, payer="quillfeather", as_of=date(2026, 1, 1), k=1)
    assert "14 calendar days" in old.quote and old.chunk.version == "2025"
    assert "7 calendar days" in new.quote and new.chunk.version == "2026"
    assert loaded_kb.search(question, payer="quillfeather", as_of=date(2020, 1, 1)) == []


@pytest.mark.parametrize("payer", PAYERS)
def test_the_payer_and_date_filters_never_leak(loaded_kb: KnowledgeBase, payer: str) -> None:
    for as_of in DATES:
        for query in QUERIES:
            for mode in SearchMode:
                for hit in loaded_kb.search(query, payer=payer, as_of=as_of, k=10, mode=mode):
                    assert hit.chunk.payer in (payer, None), (query, as_of, hit.citation)
                    [doc] = [
                        d
                        for d in loaded_kb.get_document(hit.chunk.doc_id)
                        if d.version == hit.chunk.version
                    ]
                    assert in_force(doc, as_of), (query, as_of, hit.citation)


def test_the_vector_index_and_the_catalog_admit_the_same_chunks(loaded_kb: KnowledgeBase) -> None:
    catalog = loaded_kb._retriever(loaded_kb._read()).catalog  # type: ignore[arg-type]
    index = loaded_kb._vector_index()
    plans = [None, "Quillfeather Medicare Advantage", "Quillfeather HMO"]
    combos = itertools.product([None, *PAYERS], DATES, plans, [None, "policy", "regulation"])
    for payer, as_of, plan, kind in combos:
        mask = catalog.chunk_mask(SearchFilters(as_of=as_of, payer=payer, plan=plan, kind=kind))
        expected = {c.chunk_id for c, ok in zip(catalog.chunks, mask, strict=True) if ok}
        chunk_filter = ChunkFilter(as_of=as_of, payer=payer, plan=plan, kind=kind)
        assert index.matching_ids(chunk_filter) == expected, (payer, as_of, plan, kind)
    governing = ("qf-imaging@2026", "tw-imaging@1")
    by_key = index.matching_ids(ChunkFilter(as_of=date(2026, 3, 1), doc_keys=governing))
    assert {i.split("#")[0] for i in by_key} == set(governing)


def test_a_selective_filter_falls_back_to_an_exact_scan(
    loaded_kb: KnowledgeBase, model: MiniLmEmbedder
) -> None:
    state = loaded_kb._read()
    assert state is not None
    general = loaded_kb._retriever(state)
    narrow = HybridRetriever(
        state.catalog,
        general._vectors,
        state.bm25,
        state.vectors,
        QueryEmbedder(model),
        depth=2,
        overfetch=1,
    )
    filters = SearchFilters(as_of=date(2026, 3, 1), kind="regulation")
    hits = narrow.search(
        "how fast must an urgent request be decided", filters, k=2, mode=SearchMode.VECTOR
    )
    assert [h.chunk.doc_id for h in hits] == ["cms-decision-timeframes"]
    passages = [c.passage() for c in state.catalog.chunks]
    assert np.allclose(state.vectors, model.embed(passages), atol=1e-4)


def test_plan_kind_and_service_code_filters(loaded_kb: KnowledgeBase) -> None:
    advantage = loaded_kb.search(
        "lumbar MRI",
        payer="quillfeather",
        plan="Quillfeather Medicare Advantage",
        as_of=date(2026, 3, 1),
        k=20,
    )
    assert advantage and all(h.chunk.doc_id != "qf-imaging" for h in advantage)
    playbooks = loaded_kb.search("appeal a denial", kind="playbook", as_of=date(2025, 6, 1), k=20)
    assert playbooks and {h.chunk.kind for h in playbooks} == {"playbook"}
    brain = loaded_kb.search(
        "what needs review", service_code="70552", as_of=date(2025, 6, 1), k=20
    )
    assert {h.chunk.doc_id for h in brain} <= {"qf-imaging", "tw-imaging", "pb-peer-to-peer"}
    assert {"qf-imaging", "tw-imaging"} <= {h.chunk.doc_id for h in brain}


def test_hybrid_retrieval_is_at_least_as_good_as_either_part(loaded_kb: KnowledgeBase) -> None:
    found: dict[SearchMode, int] = {}
    for mode in SearchMode:
        found[mode] = 0
        for question, payer, as_of, doc_key, section in QUESTIONS:
            hits = loaded_kb.search(question, payer=payer, as_of=as_of, k=3, mode=mode)
            found[mode] += any(
                h.chunk.doc_key == doc_key and h.chunk.section_title == section for h in hits
            )
    assert found[SearchMode.HYBRID] >= max(found[SearchMode.VECTOR], found[SearchMode.BM25]), found
    assert found[SearchMode.HYBRID] >= len(QUESTIONS) - 1, found


def test_pa_requirement_cites_the_governing_section(loaded_kb: KnowledgeBase) -> None:
    before = loaded_kb.pa_requirement("Quillfeather Health", "72148", date(2025, 6, 1))
    after = loaded_kb.pa_requirement("QFH", "72148", date(2026, 3, 1), plan="Quillfeather PPO")
    assert (before.status, before.version, before.section) == (
        PaStatus.REQUIRED,
        "2025",
        "Codes that require prior authorization",
    )
    assert (after.status, after.version) == (PaStatus.NOT_REQUIRED, "2026")
    [document] = [d for d in loaded_kb.get_document("qf-imaging") if d.version == "2026"]
    assert after.quote_start is not None and "72148" in after.quote
    assert document.body[after.quote_start : after.quote_end] == after.quote
    cpap = loaded_kb.pa_requirement("lanternfish", "E0601", date(2025, 6, 1))
    assert cpap.status is PaStatus.CONDITIONAL and "90 days" in cpap.rule
    assert (
        loaded_kb.pa_requirement("tumbleweed", "70552", date(2025, 6, 1)).status
        is PaStatus.REQUIRED
    )
    assert (
        loaded_kb.pa_requirement("tumbleweed", "E0601", date(2025, 6, 1)).status is PaStatus.UNKNOWN
    )
    assert loaded_kb.pa_requirement("Acme Health", "72148").reason == "unknown payer 'Acme Health'"
    outside_plan = loaded_kb.pa_requirement(
        "quillfeather", "72148", date(2026, 3, 1), plan="Quillfeather Medicare Advantage"
    )
    assert outside_plan.status is PaStatus.UNKNOWN


def test_policies_for_lists_only_in_force_policies_of_that_payer(loaded_kb: KnowledgeBase) -> None:
    keys = [d.key for d in loaded_kb.policies_for("quillfeather", "70553", date(2026, 3, 1))]
    assert keys == ["qf-imaging@2026"]
    assert loaded_kb.policies_for("tumbleweed", "97110", date(2026, 3, 1)) == []


def test_documents_payers_and_status(loaded_kb: KnowledgeBase) -> None:
    assert [d.version for d in loaded_kb.get_document("qf-imaging")] == ["2025", "2026"]
    in_force_2024 = {d.key for d in loaded_kb.list_documents(as_of=date(2024, 6, 1))}
    assert in_force_2024 == {"pb-peer-to-peer@1"}
    with pytest.raises(NotFound):
        loaded_kb.get_document("no-such-doc")
    assert loaded_kb.get_chunk("qf-imaging@2026#0").section_path[0].startswith("Quillfeather")
    with pytest.raises(NotFound):
        loaded_kb.get_chunk("qf-imaging@2026#999")
    assert loaded_kb.resolve_payer("  tumbleweed   MUTUAL ").id == "tumbleweed"  # type: ignore[union-attr]
    assert loaded_kb.resolve_payer("LCC").id == "lanternfish"  # type: ignore[union-attr]
    assert loaded_kb.resolve_payer("Acme") is None
    status = loaded_kb.status()
    assert (status.documents, status.versions, status.payers) == (5, 6, 3)
    assert status.chunks == len(loaded_kb.indexed_chunk_ids()["catalog"]) > 0
    assert Path(status.index_location).name == "chroma"


def test_bad_search_input_is_rejected(loaded_kb: KnowledgeBase) -> None:
    with pytest.raises(InputRejected):
        loaded_kb.search("   ")
    with pytest.raises(InputRejected):
        loaded_kb.search("mri", payer="Acme Health")
    with pytest.raises(InputRejected):
        loaded_kb.search("mri", kind="memo")
