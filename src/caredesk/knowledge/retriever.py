"""Hybrid retrieval: vector and BM25 rankings fused by reciprocal rank, under exact filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from caredesk.domain.knowledge import (
    Chunk,
    KbDocument,
    Payer,
    SearchHit,
    applies_to,
    codes_in_text,
    date_key,
    force_windows,
)
from caredesk.knowledge.bm25 import Bm25Index
from caredesk.knowledge.vector_index import VectorIndex

Mask = NDArray[np.bool_]
QueryVector = Callable[[str], NDArray[np.float32]]


class SearchMode(StrEnum):
    """Which rankings a search uses; `vector` and `bm25` exist to measure the hybrid's parts."""

    HYBRID = "hybrid"
    VECTOR = "vector"
    BM25 = "bm25"


@dataclass(frozen=True)
class SearchFilters:
    """Who and when a search is for; None means no restriction on that axis."""

    as_of: date
    payer: str | None = None
    plan: str | None = None
    kind: str | None = None
    service_code: str | None = None


@dataclass
class Catalog:
    """Every loaded document version and chunk, with the arrays filters are computed on."""

    documents: list[KbDocument]
    chunks: list[Chunk]
    payers: list[Payer] = field(default_factory=list)
    _rule_masks: dict[tuple[str | None, str | None], Mask] = field(default_factory=dict, repr=False)

    @cached_property
    def windows(self) -> dict[str, tuple[date, date]]:
        """doc key → the days that version is in force (newer versions supersede older)."""
        by_id: dict[str, list[KbDocument]] = {}
        for doc in self.documents:
            by_id.setdefault(doc.doc_id, []).append(doc)
        return {key: w for versions in by_id.values() for key, w in force_windows(versions).items()}

    @cached_property
    def doc_position(self) -> dict[str, int]:
        return {doc.key: n for n, doc in enumerate(self.documents)}

    @cached_property
    def chunk_position(self) -> dict[str, int]:
        return {chunk.chunk_id: n for n, chunk in enumerate(self.chunks)}

    @cached_property
    def chunk_doc(self) -> NDArray[np.int64]:
        return np.array([self.doc_position[c.doc_key] for c in self.chunks], dtype=np.int64)

    @cached_property
    def _columns(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.str_], NDArray[np.str_]]:
        starts = np.array(
            [date_key(self.windows[d.key][0]) for d in self.documents], dtype=np.int64
        )
        stops = np.array([date_key(self.windows[d.key][1]) for d in self.documents], dtype=np.int64)
        payers = np.array([d.front_matter.payer or "" for d in self.documents], dtype=np.str_)
        kinds = np.array([d.front_matter.kind.value for d in self.documents], dtype=np.str_)
        return starts, stops, payers, kinds

    @cached_property
    def _chunks_by_doc(self) -> dict[str, list[Chunk]]:
        grouped: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            grouped.setdefault(chunk.doc_key, []).append(chunk)
        return grouped

    def chunks_of(self, doc_key: str) -> list[Chunk]:
        """The chunks of one document version, in body order."""
        return self._chunks_by_doc.get(doc_key, [])

    @cached_property
    def code_chunks(self) -> dict[str, list[int]]:
        """Code named in a chunk's text → positions of those chunks."""
        index: dict[str, list[int]] = {}
        for n, chunk in enumerate(self.chunks):
            for code in chunk.mentioned_codes:
                index.setdefault(code, []).append(n)
        return index

    def doc_mask(self, filters: SearchFilters) -> Mask:
        """Which document versions the filters admit (one array element per document)."""
        starts, stops, payers, kinds = self._columns
        day = date_key(filters.as_of)
        mask = (starts <= day) & (day <= stops)
        if filters.payer is not None:
            mask &= (payers == filters.payer) | (payers == "")
        if filters.kind is not None:
            mask &= kinds == filters.kind
        if filters.plan is not None or filters.service_code is not None:
            mask &= self._rule_mask(filters.plan, filters.service_code)
        return mask

    def _rule_mask(self, plan: str | None, service_code: str | None) -> Mask:
        """Plan and code rules need Python per document; a catalog never changes, so cache."""
        key = (plan, service_code)
        if key not in self._rule_masks:
            if len(self._rule_masks) > 1024:
                self._rule_masks.clear()
            rules = [
                applies_to(d.front_matter, plan=plan, service_code=service_code)
                for d in self.documents
            ]
            self._rule_masks[key] = np.array(rules, dtype=np.bool_)
        return self._rule_masks[key]

    def chunk_mask(self, filters: SearchFilters) -> Mask:
        if not self.chunks:
            return np.zeros(0, dtype=np.bool_)
        mask: Mask = self.doc_mask(filters)[self.chunk_doc]
        return mask


class HybridRetriever:
    """Searches one catalog through its vector and BM25 indexes and fuses the rankings."""

    def __init__(
        self,
        catalog: Catalog,
        vectors: VectorIndex,
        bm25: Bm25Index,
        matrix: NDArray[np.float32],
        query_vector: QueryVector,
        *,
        rrf_k: int = 60,
        depth: int = 50,
        overfetch: int = 4,
    ) -> None:
        self.catalog = catalog
        self._vectors = vectors
        self._bm25 = bm25
        self._matrix = matrix  # rows in catalog order, for exact scans under selective filters
        self._query_vector = query_vector
        self.rrf_k = rrf_k
        self.depth = depth
        self.overfetch = overfetch

    def search(
        self, query: str, filters: SearchFilters, k: int = 5, mode: SearchMode = SearchMode.HYBRID
    ) -> list[SearchHit]:
        """The k best chunks for `query` that the filters admit, best first."""
        mask = self.catalog.chunk_mask(filters)
        if k <= 0 or not mask.any():
            return []
        rankings: dict[str, list[int]] = {}
        if mode in (SearchMode.HYBRID, SearchMode.VECTOR):
            rankings["vector"] = self._vector_ranking(query, mask)
        if mode in (SearchMode.HYBRID, SearchMode.BM25):
            rankings["bm25"] = [n for n, _ in self._bm25.search(query, self.depth, mask)]
        scores = fuse(rankings, self.rrf_k)
        if mode is SearchMode.HYBRID:
            rankings["code"] = self._code_ranking(query, mask, scores)
            scores = fuse(rankings, self.rrf_k)
        best = sorted(scores, key=lambda n: (-scores[n], n))[:k]
        return [self._hit(n, scores[n], rankings) for n in best]

    def _vector_ranking(self, query: str, mask: Mask) -> list[int]:
        """The nearest admitted chunks.

        Chroma's own metadata filters take 0.4-1.2 s at 100k chunks, so filters apply as a
        mask instead: first to the nearest `overfetch × depth` chunks of an unfiltered ANN
        query (when `depth` of them pass, they are the nearest admitted ones), else, for a
        selective filter, to an exact scan of the admitted rows of the vector matrix.
        """
        vector = self._query_vector(query)
        matches = self._vectors.query(vector, None, self.depth * self.overfetch)
        positions = (self.catalog.chunk_position.get(m.chunk_id) for m in matches)
        # A stale index row (an interrupted load) can never leak past the filters.
        wide = [n for n in positions if n is not None and mask[n]]
        if len(wide) >= self.depth or int(mask.sum()) <= len(wide):
            return wide[: self.depth]
        return self._exact(vector, mask)

    def _exact(self, vector: NDArray[np.float32], mask: Mask) -> list[int]:
        admitted = np.flatnonzero(mask)
        similarity = self._matrix[admitted] @ vector
        if len(admitted) > self.depth:
            best = np.argpartition(-similarity, self.depth - 1)[: self.depth]
        else:
            best = np.arange(len(admitted))
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [int(n) for n in admitted[best]]

    def _code_ranking(self, query: str, mask: Mask, scores: dict[int, float]) -> list[int]:
        """Chunks naming a code the query names, best fused score first: a code-aware boost."""
        named = {n for code in codes_in_text(query) for n in self.catalog.code_chunks.get(code, [])}
        admitted = [n for n in named if mask[n]]
        return sorted(admitted, key=lambda n: (-scores.get(n, 0.0), n))

    def _hit(self, n: int, score: float, rankings: dict[str, list[int]]) -> SearchHit:
        chunk = self.catalog.chunks[n]
        ranks = {name: ranking.index(n) + 1 for name, ranking in rankings.items() if n in ranking}
        return SearchHit(chunk=chunk, score=score, ranks=ranks, quote=chunk.text)


def fuse(rankings: dict[str, list[int]], k: int) -> dict[int, float]:
    """Reciprocal rank fusion: each ranking adds 1 / (k + rank) to the items it ranks."""
    scores: dict[int, float] = {}
    for ranking in rankings.values():
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores
