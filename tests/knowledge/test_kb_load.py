"""Loading over time: unchanged is free, edits re-embed only themselves, crashes converge."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest

from caredesk.knowledge.embeddings import Embedder, Vectors
from caredesk.knowledge.service import KnowledgeBase

KbFactory = Callable[..., KnowledgeBase]

TW_IMAGING = "payers/tw-imaging.md"


class BrokenModel:
    """A model that dies on its first call, as a killed process would mid-load."""

    def __init__(self, inner: Embedder) -> None:
        self.model_id, self.dimensions = inner.model_id, inner.dimensions

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise RuntimeError("the process was killed while embedding")


def assert_indexes_agree(kb: KnowledgeBase) -> set[str]:
    ids = kb.indexed_chunk_ids()
    assert ids["catalog"] == ids["vector"] == ids["bm25"]
    return ids["catalog"]


def test_an_unchanged_folder_loads_in_well_under_a_second(
    fresh_kb: KnowledgeBase, kb_folder: Path, make_kb: KbFactory
) -> None:
    first = fresh_kb.load()
    assert first.documents == 6 and first.chunks > 0 and first.problems == []
    assert len(first.added) == 6 and first.embedded == first.chunks
    again = fresh_kb.load()
    assert again.unchanged == 6 and again.embedded == 0 and not again.changed_anything
    assert again.seconds < 0.5
    restarted = make_kb(fresh_kb.settings.data_dir, kb_folder)
    assert restarted.load().embedded == 0
    assert restarted.search("brain MRI", payer="tumbleweed", as_of=date(2025, 6, 1))


def test_editing_one_file_re_embeds_only_its_changed_chunks(
    fresh_kb: KnowledgeBase, kb_folder: Path
) -> None:
    fresh_kb.load()
    before = {
        cid for cid in fresh_kb.indexed_chunk_ids()["catalog"] if cid.startswith("tw-imaging@")
    }
    path = kb_folder / TW_IMAGING
    path.write_text(path.read_text().replace("within 180 days", "within 120 days"))
    report = fresh_kb.load()
    assert report.changed == ["tw-imaging@1"] and report.added == report.removed == []
    assert 1 <= report.embedded < len(before)
    assert_indexes_agree(fresh_kb)
    [hit] = fresh_kb.search("appeal deadline", payer="tumbleweed", as_of=date(2025, 6, 1), k=1)
    assert "120 days" in hit.quote


def test_a_deleted_file_leaves_both_indexes(fresh_kb: KnowledgeBase, kb_folder: Path) -> None:
    fresh_kb.load()
    (kb_folder / "payers/lf-sleep.md").unlink()
    report = fresh_kb.load()
    assert report.removed == ["lf-sleep@1"] and report.embedded == 0
    ids = assert_indexes_agree(fresh_kb)
    assert not any(cid.startswith("lf-sleep@") for cid in ids)
    hits = fresh_kb.search("CPAP rental E0601", payer="lanternfish", as_of=date(2025, 6, 1), k=10)
    assert all(h.chunk.doc_id != "lf-sleep" for h in hits)


def test_a_file_that_turns_bad_is_reported_and_dropped_the_rest_stays(
    fresh_kb: KnowledgeBase, kb_folder: Path
) -> None:
    fresh_kb.load()
    path = kb_folder / TW_IMAGING
    path.write_text(path.read_text().replace("kind: policy", "kind: memo"))
    report = fresh_kb.load()
    assert [(p.file, p.line) for p in report.problems] == [(TW_IMAGING, 4)]
    assert report.removed == ["tw-imaging@1"]
    assert fresh_kb.status().problems == report.problems
    assert fresh_kb.search("appeal", payer="quillfeather", as_of=date(2025, 6, 1))


def test_a_load_killed_while_embedding_converges_on_the_next_run(
    fresh_kb: KnowledgeBase, kb_folder: Path, embedder: Embedder, make_kb: KbFactory
) -> None:
    fresh_kb.load()
    path = kb_folder / TW_IMAGING
    path.write_text(path.read_text().replace("within 180 days", "within 150 days"))
    (kb_folder / "payers/lf-sleep.md").unlink()
    shutil.copy(kb_folder / "playbooks/peer-to-peer.md", kb_folder / "playbooks/p2p-copy.md")
    copy = kb_folder / "playbooks/p2p-copy.md"
    copy.write_text(copy.read_text().replace("pb-peer-to-peer", "pb-p2p-copy"))

    crashing = make_kb(fresh_kb.settings.data_dir, kb_folder, model=BrokenModel(embedder))
    with pytest.raises(RuntimeError):
        crashing.load()
    assert fresh_kb.status().versions == 6, "the old manifest still describes the last good load"
    for hit in fresh_kb.search("appeal", payer="tumbleweed", as_of=date(2025, 6, 1), k=10):
        assert hit.chunk.payer in (None, "tumbleweed")

    report = make_kb(fresh_kb.settings.data_dir, kb_folder).load()
    assert (report.added, report.changed, report.removed) == (
        ["pb-p2p-copy@1"],
        ["tw-imaging@1"],
        ["lf-sleep@1"],
    )
    assert_indexes_agree(fresh_kb)
    [hit] = fresh_kb.search("appeal deadline", payer="tumbleweed", as_of=date(2025, 6, 1), k=1)
    assert "150 days" in hit.quote


def test_a_crash_after_indexing_but_before_the_manifest_converges(
    fresh_kb: KnowledgeBase, kb_folder: Path, make_kb: KbFactory
) -> None:
    fresh_kb.load()
    manifest = fresh_kb.settings.data_dir / "kb" / "manifest.json"
    catalog = next(manifest.parent.glob("catalog-*.json"))
    vectors = next(manifest.parent.glob("vectors-*"))
    bm25 = next(manifest.parent.glob("bm25-*"))
    saved = {p: p.read_bytes() for p in [manifest, catalog, vectors, *bm25.iterdir()]}
    (kb_folder / "payers/lf-sleep.md").unlink()
    fresh_kb.load()
    # Put the previous manifest and its files back: the vector index is now ahead of them.
    bm25.mkdir(exist_ok=True)
    for file, content in saved.items():
        file.write_bytes(content)
    restarted = make_kb(fresh_kb.settings.data_dir, kb_folder)
    assert restarted.status().versions == 6
    hits = restarted.search("in-lab polysomnography", payer="lanternfish", as_of=date(2025, 6, 1))
    assert hits, "searching still works while the vector index is ahead of the catalog"
    report = restarted.load()
    assert report.removed == ["lf-sleep@1"]
    assert_indexes_agree(restarted)


def test_two_data_directories_are_two_knowledge_bases(
    tmp_path: Path, kb_folder: Path, make_kb: KbFactory
) -> None:
    only_playbook = tmp_path / "other-kb"
    (only_playbook / "playbooks").mkdir(parents=True)
    shutil.copy(kb_folder / "playbooks/peer-to-peer.md", only_playbook / "playbooks")
    first = make_kb(tmp_path / "one", kb_folder)
    second = make_kb(tmp_path / "two", only_playbook)
    first.load()
    second.load()
    assert first.status().versions == 6 and second.status().versions == 1
    hits = second.search("brain MRI 70553", as_of=date(2025, 6, 1), k=10)
    assert {h.chunk.doc_id for h in hits} <= {"pb-peer-to-peer"}
