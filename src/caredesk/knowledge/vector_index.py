"""The vector index: chunk vectors and filter metadata in Chroma (the only chromadb import)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.domain.knowledge import Chunk, date_key

_UNREACHABLE = (ConnectionError, OSError, httpx.HTTPError)
ALL = "*"  # stands for "every payer" / "every plan" in metadata, which cannot hold None
DEFAULT_COLLECTION = "caredesk-kb"
_PAGE = 5_000  # rows per request when reading or writing many chunks
Metadata = dict[str, str | int | bool | list[str]]


@dataclass(frozen=True)
class ChunkFilter:
    """The search filters in the form the index stores them; None means no restriction.

    `doc_keys` narrows to named `id@version` documents (how service-code filters arrive:
    code ranges cannot be expressed as metadata comparisons, so the retriever resolves them).
    """

    as_of: date
    payer: str | None = None
    plan: str | None = None
    kind: str | None = None
    doc_keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class VectorMatch:
    chunk_id: str
    distance: float


def chunk_metadata(chunk: Chunk, window: tuple[date, date], passage_hash: str) -> Metadata:
    """What a chunk carries in the index: enough to filter, and a hash to detect stale rows."""
    return {
        "doc_key": chunk.doc_key,
        "doc_id": chunk.doc_id,
        "kind": chunk.kind.value,
        "payer": chunk.payer or ALL,
        "plans": list(chunk.plans) or [ALL],
        "valid_from": date_key(window[0]),
        "valid_to": date_key(window[1]),
        "passage_hash": passage_hash,
    }


def where_clause(chunk_filter: ChunkFilter) -> dict[str, Any]:
    """The Chroma `where` equivalent of a ChunkFilter."""
    day = date_key(chunk_filter.as_of)
    terms: list[dict[str, Any]] = [{"valid_from": {"$lte": day}}, {"valid_to": {"$gte": day}}]
    if chunk_filter.payer is not None:
        terms.append({"payer": {"$in": [chunk_filter.payer, ALL]}})
    if chunk_filter.plan is not None:
        plans = [{"plans": {"$contains": ALL}}, {"plans": {"$contains": chunk_filter.plan}}]
        terms.append({"$or": plans})
    if chunk_filter.kind is not None:
        terms.append({"kind": {"$eq": chunk_filter.kind}})
    if chunk_filter.doc_keys is not None:
        terms.append({"doc_key": {"$in": list(chunk_filter.doc_keys) or ["-"]}})
    return {"$and": terms}


class VectorIndex:
    """One Chroma collection of chunk vectors; local directory or a Chroma server."""

    def __init__(
        self,
        *,
        path: Path | None = None,
        url: str = "",
        collection: str = DEFAULT_COLLECTION,
        dimensions: int = 384,
        model_id: str = "",
    ) -> None:
        self.location = url or str(path or Path("chroma"))
        try:
            self._client = _connect(url, path or Path("chroma"))
            self._collection = _Guarded(self._open(collection, dimensions, model_id), self.location)
        except (ValueError, *_UNREACHABLE) as error:
            raise UpstreamUnavailable(
                "The vector index could not be opened.", location=self.location
            ) from error

    def _open(self, name: str, dimensions: int, model_id: str) -> Any:
        # Always pass embedding_function=None: without it Chroma attaches its default model,
        # which it would try to download.
        wanted = {"hnsw:space": "cosine", "dimensions": dimensions, "embedder": model_id}
        collection = self._client.get_or_create_collection(
            name, embedding_function=None, metadata=wanted
        )
        current = collection.metadata or {}
        if (current.get("embedder"), current.get("dimensions")) != (model_id, dimensions):
            # Vectors of another model are meaningless here: start the collection afresh.
            self._client.delete_collection(name)
            collection = self._client.create_collection(
                name, embedding_function=None, metadata=wanted
            )
        return collection

    def count(self) -> int:
        return int(self._collection.count())

    def stored_metadata(self) -> dict[str, Mapping[str, Any]]:
        """chunk id → metadata of every row, to reconcile the index with the catalog."""
        found: dict[str, Mapping[str, Any]] = {}
        total = self.count()
        for offset in range(0, total, _PAGE):
            page = self._collection.get(include=["metadatas"], limit=_PAGE, offset=offset)
            found.update(zip(page["ids"], page["metadatas"] or [], strict=False))
        return found

    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray[Any, Any], metadatas: Sequence[Metadata]
    ) -> None:
        for start in range(0, len(ids), _PAGE):
            stop = start + _PAGE
            self._collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=vectors[start:stop],
                metadatas=list(metadatas[start:stop]),
            )

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[Metadata]) -> None:
        for start in range(0, len(ids), _PAGE):
            stop = start + _PAGE
            self._collection.update(
                ids=list(ids[start:stop]), metadatas=list(metadatas[start:stop])
            )

    def delete(self, ids: Sequence[str]) -> None:
        for batch in _pages(ids):
            self._collection.delete(ids=batch)

    def matching_ids(self, chunk_filter: ChunkFilter) -> set[str]:
        """Every chunk id the filter admits (tests compare this with the retriever's own mask)."""
        return set(self._collection.get(where=where_clause(chunk_filter), include=[])["ids"])

    def query(
        self, vector: np.ndarray[Any, Any], chunk_filter: ChunkFilter | None, k: int
    ) -> list[VectorMatch]:
        """The k nearest chunks the filter admits (None: any chunk), nearest first."""
        if k <= 0:
            return []
        where = where_clause(chunk_filter) if chunk_filter is not None else None
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where, include=["distances"]
        )
        ids, distances = result["ids"][0], (result["distances"] or [[]])[0]
        return [VectorMatch(i, float(d)) for i, d in zip(ids, distances, strict=True)]


class _Guarded:
    """A Chroma collection whose transport failures surface as UpstreamUnavailable."""

    def __init__(self, collection: Any, location: str) -> None:
        self._collection = collection
        self._location = location

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except _UNREACHABLE as error:
                raise UpstreamUnavailable(
                    "The vector index did not answer.", location=self._location
                ) from error

        return guarded


def _connect(url: str, path: Path) -> Any:
    """A Chroma server client when `url` is set, else a client of the local directory."""
    # chromadb takes about a second to import: pay it when an index is opened, not when
    # the CLI or the API merely imports the knowledge package.
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 8000
        return chromadb.HttpClient(
            host=host, port=port, ssl=parsed.scheme == "https", settings=settings
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def _pages(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _PAGE):
        yield list(ids[start : start + _PAGE])
