"""The knowledge-base facade: incremental load, status, filtered hybrid search, PA lookups."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import structlog

from caredesk.domain.errors import InputRejected, NotFound
from caredesk.domain.knowledge import (
    Chunk,
    KbDocument,
    KbKind,
    KbStatus,
    LoadProblem,
    LoadReport,
    PaRequirement,
    PaStatus,
    Payer,
    SearchHit,
)
from caredesk.knowledge import lookups, tokens
from caredesk.knowledge.bm25 import Bm25Index
from caredesk.knowledge.chunker import DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS
from caredesk.knowledge.embeddings import (
    CachedEmbedder,
    Embedder,
    MiniLmEmbedder,
    QueryEmbedder,
    Vectors,
)
from caredesk.knowledge.indexing import (
    Progress,
    build_bm25,
    catalog_vectors,
    change_report,
    chunk_all,
    sync_vectors,
    unchanged_report,
)
from caredesk.knowledge.loader import load_folder, scan
from caredesk.knowledge.retriever import Catalog, HybridRetriever, SearchFilters, SearchMode
from caredesk.knowledge.store import KbStore, Manifest, payers_hash
from caredesk.knowledge.vector_index import DEFAULT_COLLECTION, VectorIndex
from caredesk.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class _State:
    """What one committed load left on disk, read back: catalog, BM25, and (lazily) vectors."""

    manifest: Manifest
    manifest_stamp: tuple[int, int, int]
    catalog: Catalog
    bm25: Bm25Index
    vectors: Vectors
    retriever: HybridRetriever | None = None


class KnowledgeBase:
    """One knowledge base whose state lives in `settings.data_dir`; cheap to make, lazy to open.

    Two data directories are two independent knowledge bases. Pass `embedder` to share one
    loaded model between instances (tests, workers); otherwise MiniLM loads on first need.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        collection: str = DEFAULT_COLLECTION,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
        rrf_k: int = 60,
    ) -> None:
        self.settings = settings
        self.collection = collection
        self.rrf_k = rrf_k
        self._model = embedder
        self._max_tokens, self._overlap_tokens = max_tokens, overlap_tokens
        self._store = KbStore(settings.data_dir / "kb")
        self._lock = threading.RLock()
        self._cache: CachedEmbedder | None = None
        self._index: VectorIndex | None = None
        self._state: _State | None = None
        tokens.prepare(settings.cache_dir / "tiktoken")

    # --- loading -----------------------------------------------------------------------------

    def load(self, path: Path | None = None, *, progress: Progress | None = None) -> LoadReport:
        """Bring the indexes in line with the folder; unchanged files cost next to nothing.

        Idempotent and safe to interrupt: every load that changes anything reconciles the
        vector index with the catalog, and the manifest is written last, atomically.
        """
        root = Path(path or self.settings.kb_path)
        if not root.is_dir():
            raise NotFound("The knowledge-base folder does not exist.", path=str(root))
        started = time.monotonic()
        with self._lock, self._store.locked():
            files = {source.relative: source.content_hash for source in scan(root)}
            manifest = self._store.read_manifest()
            if manifest is not None and self._is_current(manifest, root, files):
                return unchanged_report(root, manifest, started)
            return self._rebuild(root, files, manifest, started, progress)

    def _is_current(self, manifest: Manifest, root: Path, files: dict[str, str]) -> bool:
        return (
            manifest.files == files
            and manifest.kb_path == str(root.resolve())
            and manifest.payers_hash == payers_hash(root)
            and manifest.chunker == self._chunker_label
            and manifest.collection == self.collection
            and manifest.vector_location == self._vector_location
            and self._store.has_generation(manifest)
        )

    def _rebuild(
        self,
        root: Path,
        files: dict[str, str],
        previous: Manifest | None,
        started: float,
        progress: Progress | None,
    ) -> LoadReport:
        folder = load_folder(root)
        old = self._previous_catalog(previous)
        reuse = old if previous is not None and previous.chunker == self._chunker_label else None
        chunks = chunk_all(
            folder.documents,
            reuse,
            max_tokens=self._max_tokens,
            overlap_tokens=self._overlap_tokens,
        )
        catalog = Catalog(folder.documents, chunks, folder.payers)
        embedder = self._embedder()
        computed_before = embedder.computed
        sync_vectors(self._vector_index(), catalog, embedder, progress)
        bm25, vectors = build_bm25(catalog), catalog_vectors(catalog, embedder)
        manifest = self._manifest(root, files, catalog, folder.problems)
        self._store.write_generation(manifest.generation, catalog, bm25, vectors)
        self._store.commit(manifest)
        self._state = _State(manifest, self._store.manifest_stamp(), catalog, bm25, vectors)
        report = change_report(root, old, catalog, manifest, started)
        report = report.model_copy(update={"embedded": embedder.computed - computed_before})
        log.info(
            "kb.loaded", documents=report.documents, chunks=report.chunks, embedded=report.embedded
        )
        return report

    def _previous_catalog(self, manifest: Manifest | None) -> Catalog | None:
        if manifest is None:
            return None
        try:
            return self._store.read_catalog(manifest)
        except (OSError, ValueError):
            return None  # a damaged catalog only costs re-chunking

    def _manifest(
        self, root: Path, files: dict[str, str], catalog: Catalog, problems: list[LoadProblem]
    ) -> Manifest:
        return Manifest(
            generation=self._store.new_generation(),
            kb_path=str(root.resolve()),
            payers_hash=payers_hash(root),
            files=files,
            chunker=self._chunker_label,
            embedder=self._embedder().model_id,
            collection=self.collection,
            vector_location=self._vector_location,
            loaded_at=datetime.now(UTC),
            documents=len({doc.doc_id for doc in catalog.documents}),
            versions=len(catalog.documents),
            chunks=len(catalog.chunks),
            payers=len(catalog.payers),
            problems=problems,
        )

    # --- reading -----------------------------------------------------------------------------

    def status(self) -> KbStatus:
        """What is loaded, when, and where the indexes live (reads only the manifest)."""
        manifest = self._store.read_manifest()
        location = self._vector_location
        embedder = self._model.model_id if self._model else MiniLmEmbedder.model_id
        if manifest is None:
            return KbStatus(
                documents=0,
                versions=0,
                chunks=0,
                payers=0,
                index_location=location,
                embedder=embedder,
            )
        return KbStatus(
            documents=manifest.documents,
            versions=manifest.versions,
            chunks=manifest.chunks,
            payers=manifest.payers,
            last_load=manifest.loaded_at,
            kb_path=manifest.kb_path,
            index_location=location,
            embedder=manifest.embedder,
            problems=manifest.problems,
        )

    def search(
        self,
        query: str,
        *,
        payer: str | None = None,
        plan: str | None = None,
        kind: str | None = None,
        service_code: str | None = None,
        as_of: date | None = None,
        k: int = 5,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchHit]:
        """The k best chunks for `query` in force on `as_of` (default today) that pass the filters.

        `payer` may be an id, name or alias; documents without a payer apply to every payer.
        """
        if not query.strip():
            raise InputRejected("The search query is empty.")
        if kind is not None and kind not in set(KbKind):
            raise InputRejected(
                "Unknown document kind.", kind=kind, kinds=[k.value for k in KbKind]
            )
        state = self._read()
        if state is None:
            return []
        filters = SearchFilters(
            as_of=as_of or date.today(),
            payer=self._payer_id(payer, state),
            plan=plan,
            kind=kind,
            service_code=service_code.strip().upper() if service_code else None,
        )
        return self._retriever(state).search(query, filters, k, mode)

    def list_documents(self, as_of: date | None = None) -> list[KbDocument]:
        """Every loaded version (or only those in force on `as_of`), by id then effective date."""
        state = self._read()
        if state is None:
            return []
        docs = state.catalog.documents
        if as_of is not None:
            admitted = state.catalog.doc_mask(SearchFilters(as_of=as_of))
            docs = [docs[n] for n in np.flatnonzero(admitted)]
        return sorted(docs, key=lambda d: (d.doc_id, d.front_matter.effective_date))

    def get_document(self, doc_id: str) -> list[KbDocument]:
        """All versions of one document, oldest first."""
        versions = [doc for doc in self.list_documents() if doc.doc_id == doc_id]
        if not versions:
            raise NotFound("No such knowledge document.", doc_id=doc_id)
        return versions

    def payers(self) -> list[Payer]:
        state = self._read()
        return list(state.catalog.payers) if state else []

    def resolve_payer(self, name_or_alias: str) -> Payer | None:
        """The payer an id, display name or alias names (case and spacing ignored)."""
        return next((p for p in self.payers() if p.answers_to(name_or_alias)), None)

    def policies_for(
        self, payer: str, service_code: str, as_of: date | None = None, plan: str | None = None
    ) -> list[KbDocument]:
        """In-force policies governing `service_code` for `payer` (its own first)."""
        state = self._read()
        if state is None:
            return []
        payer_id = self._payer_id(payer, state) or payer
        return lookups.policies_for(
            state.catalog, payer_id, service_code, as_of or date.today(), plan
        )

    def pa_requirement(
        self, payer: str, code: str, as_of: date | None = None, plan: str | None = None
    ) -> PaRequirement:
        """Whether `code` needs PA with `payer` on `as_of`, citing the governing policy section."""
        day = as_of or date.today()
        state = self._read()
        resolved = self.resolve_payer(payer) if state else None
        if state is None or resolved is None:
            return PaRequirement(
                payer=payer, code=code.strip().upper(), as_of=day, plan=plan,
                status=PaStatus.UNKNOWN, reason=f"unknown payer {payer!r}",
            )  # fmt: skip
        return lookups.pa_requirement(state.catalog, resolved.id, code, day, plan)

    def indexed_chunk_ids(self) -> dict[str, set[str]]:
        """Chunk ids held by the catalog, the vector index and BM25; equal after every load."""
        state = self._read()
        if state is None:
            return {"catalog": set(), "vector": set(), "bm25": set()}
        return {
            "catalog": {chunk.chunk_id for chunk in state.catalog.chunks},
            "vector": set(self._vector_index().stored_metadata()),
            "bm25": set(state.bm25.chunk_ids),
        }

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use); share it rather than load a second one."""
        return self._embedder().inner

    def get_chunk(self, chunk_id: str) -> Chunk:
        """One chunk by its stable id (`doc_id@version#n`), e.g. to show a stored citation."""
        state = self._read()
        position = state.catalog.chunk_position.get(chunk_id) if state else None
        if state is None or position is None:
            raise NotFound("No such knowledge-base chunk.", chunk_id=chunk_id)
        return state.catalog.chunks[position]

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
            self._cache, self._index, self._state = None, None, None

    # --- internals ---------------------------------------------------------------------------

    @property
    def _chunker_label(self) -> str:
        return f"tiktoken-cl100k:{self._max_tokens}/{self._overlap_tokens}"

    @property
    def _vector_location(self) -> str:
        return self.settings.vector_url or str(self.settings.vector_dir.resolve())

    def _payer_id(self, payer: str | None, state: _State) -> str | None:
        if payer is None:
            return None
        found = next((p for p in state.catalog.payers if p.answers_to(payer)), None)
        if found is None:
            raise InputRejected("Unknown payer.", payer=payer)
        return found.id

    def _read(self) -> _State | None:
        """The committed state, re-read when another process has loaded since.

        The common case takes no lock, so searches never wait behind a long load.
        """
        stamp = self._store.manifest_stamp()
        current = self._state
        if current is not None and current.manifest_stamp == stamp:
            return current
        with self._lock:
            if self._state is not None and self._state.manifest_stamp == stamp:
                return self._state
            manifest = self._store.read_manifest()
            if manifest is None:
                return None
            catalog = self._store.read_catalog(manifest)
            bm25, vectors = self._store.read_bm25(manifest), self._store.read_vectors(manifest)
            self._state = _State(manifest, stamp, catalog, bm25, vectors)
            return self._state

    def _retriever(self, state: _State) -> HybridRetriever:
        if state.retriever is not None:
            return state.retriever
        with self._lock:
            if state.retriever is None:
                index = self._vector_index()
                if index.count() != len(state.catalog.chunks):
                    log.warning("kb.vector_index_out_of_step", expected=len(state.catalog.chunks))
                    sync_vectors(index, state.catalog, self._embedder())
                query = QueryEmbedder(self._embedder().inner)
                state.retriever = HybridRetriever(
                    state.catalog, index, state.bm25, state.vectors, query, rrf_k=self.rrf_k
                )
            return state.retriever

    def _embedder(self) -> CachedEmbedder:
        with self._lock:
            if self._cache is None:
                model = self._model or MiniLmEmbedder()
                self._model = model
                self._cache = CachedEmbedder(model, self.settings.cache_dir)
            return self._cache

    def _vector_index(self) -> VectorIndex:
        with self._lock:
            if self._index is None:
                self._index = VectorIndex(
                    path=self.settings.vector_dir,
                    url=self.settings.vector_url,
                    collection=self.collection,
                    dimensions=self._embedder().dimensions,
                    model_id=self._embedder().model_id,
                )
            return self._index
