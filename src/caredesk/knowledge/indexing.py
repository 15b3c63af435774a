"""Bring the indexes in line with a catalog, re-chunking and re-embedding only what changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from caredesk.domain.knowledge import Chunk, KbDocument, LoadReport
from caredesk.knowledge.bm25 import Bm25Index
from caredesk.knowledge.chunker import chunk_document
from caredesk.knowledge.embeddings import Embedder, Vectors, text_hash
from caredesk.knowledge.retriever import Catalog
from caredesk.knowledge.store import Manifest
from caredesk.knowledge.vector_index import Metadata, VectorIndex, chunk_metadata

Progress = Callable[[str, int, int], None]  # (stage, done, total)
EMBED_BATCH = 256  # vectors reach the index in slices, so an interrupted load keeps its work


def chunk_all(
    documents: Sequence[KbDocument],
    previous: Catalog | None,
    *,
    max_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Chunks of every document; an unchanged file keeps the chunks it had (`previous`)."""
    earlier: dict[tuple[str, str, str], list[Chunk]] = {}
    if previous is not None:
        by_key: dict[str, list[Chunk]] = {}
        for chunk in previous.chunks:
            by_key.setdefault(chunk.doc_key, []).append(chunk)
        for doc in previous.documents:
            earlier[(doc.key, doc.content_hash, doc.source_path)] = by_key.get(doc.key, [])
    chunks: list[Chunk] = []
    for doc in documents:
        kept = earlier.get((doc.key, doc.content_hash, doc.source_path))
        if kept is None:
            kept = chunk_document(doc, max_tokens=max_tokens, overlap_tokens=overlap_tokens)
        chunks += kept
    return chunks


def build_bm25(catalog: Catalog) -> Bm25Index:
    return Bm25Index.build(
        [c.chunk_id for c in catalog.chunks], [c.passage() for c in catalog.chunks]
    )


def sync_vectors(
    index: VectorIndex, catalog: Catalog, embedder: Embedder, progress: Progress | None = None
) -> None:
    """Make the vector index hold exactly the catalog's chunks, with current metadata.

    Compares against what the index really holds, not against the last manifest, so a load
    that was interrupted half-way (or an index edited behind our back) converges.
    """
    stored = index.stored_metadata()
    desired = {c.chunk_id: _metadata(c, catalog) for c in catalog.chunks}
    index.delete([chunk_id for chunk_id in stored if chunk_id not in desired])
    fresh = [
        c
        for c in catalog.chunks
        if _hash(stored.get(c.chunk_id)) != desired[c.chunk_id]["passage_hash"]
    ]
    retagged = [
        i for i in desired if i in stored and _hash(stored[i]) == desired[i]["passage_hash"]
    ]
    retagged = [i for i in retagged if dict(stored[i]) != desired[i]]
    index.update_metadata(retagged, [desired[i] for i in retagged])
    for start in range(0, len(fresh), EMBED_BATCH):
        batch = fresh[start : start + EMBED_BATCH]
        vectors = embedder.embed([chunk.passage() for chunk in batch])
        index.upsert([c.chunk_id for c in batch], vectors, [desired[c.chunk_id] for c in batch])
        if progress is not None:
            progress("embedding", min(start + EMBED_BATCH, len(fresh)), len(fresh))


def catalog_vectors(catalog: Catalog, embedder: Embedder) -> Vectors:
    """Every chunk's vector in catalog order (after `sync_vectors`, all from the cache)."""
    if not catalog.chunks:
        return np.zeros((0, embedder.dimensions), dtype=np.float32)
    return embedder.embed([chunk.passage() for chunk in catalog.chunks])


def _metadata(chunk: Chunk, catalog: Catalog) -> Metadata:
    return chunk_metadata(chunk, catalog.windows[chunk.doc_key], text_hash(chunk.passage()))


def _hash(metadata: Mapping[str, Any] | None) -> str | None:
    return None if metadata is None else str(metadata.get("passage_hash"))


def unchanged_report(root: Path, manifest: Manifest, started: float) -> LoadReport:
    """The report of a load that found every file as the manifest remembers it."""
    return LoadReport(
        path=str(root),
        documents=manifest.versions,
        chunks=manifest.chunks,
        unchanged=manifest.versions,
        problems=manifest.problems,
        seconds=time.monotonic() - started,
    )


def change_report(
    root: Path, old: Catalog | None, catalog: Catalog, manifest: Manifest, started: float
) -> LoadReport:
    """What changed between the previous catalog and the new one, by `id@version`."""
    before = {doc.key: doc.content_hash for doc in (old.documents if old else [])}
    after = {doc.key: doc.content_hash for doc in catalog.documents}
    return LoadReport(
        path=str(root),
        documents=len(catalog.documents),
        chunks=len(catalog.chunks),
        added=sorted(set(after) - set(before)),
        changed=sorted(key for key in after if key in before and before[key] != after[key]),
        removed=sorted(set(before) - set(after)),
        unchanged=sum(1 for key in after if before.get(key) == after[key]),
        problems=manifest.problems,
        seconds=time.monotonic() - started,
    )
