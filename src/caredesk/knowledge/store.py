"""A knowledge base on disk: the manifest, and per generation a catalog, BM25 and vectors."""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from caredesk.domain.knowledge import Chunk, KbDocument, LoadProblem, Payer
from caredesk.knowledge.bm25 import Bm25Index
from caredesk.knowledge.retriever import Catalog

MANIFEST = "manifest.json"
FORMAT = 2  # 2: a vector matrix per generation


class Manifest(BaseModel):
    """The last completed load; written last and atomically, so it never names half a state."""

    model_config = ConfigDict(extra="ignore")

    format: int = FORMAT
    generation: str
    kb_path: str
    payers_hash: str
    files: dict[str, str] = Field(description="relative path → sha256 of the file")
    chunker: str
    embedder: str
    collection: str
    vector_location: str
    loaded_at: datetime
    documents: int
    versions: int
    chunks: int
    payers: int = 0
    problems: list[LoadProblem] = Field(default_factory=list)


class _CatalogFile(BaseModel):
    documents: list[KbDocument]
    chunks: list[Chunk]
    payers: list[Payer]


_CATALOG = TypeAdapter(_CatalogFile)


class KbStore:
    """One data directory's knowledge-base files under `<data_dir>/kb/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read_manifest(self) -> Manifest | None:
        path = self.folder / MANIFEST
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except (FileNotFoundError, ValidationError, ValueError):
            return None
        return manifest if manifest.format == FORMAT else None

    def manifest_stamp(self) -> tuple[int, int, int]:
        """Identifies the manifest file's current version; cheap enough to check per query."""
        try:
            stat = (self.folder / MANIFEST).stat()
        except FileNotFoundError:
            return (0, 0, 0)
        # Each commit replaces the file, so the inode changes even within one mtime tick.
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def has_generation(self, manifest: Manifest) -> bool:
        """Whether every file the manifest's generation needs is still there."""
        generation = manifest.generation
        names = [f"catalog-{generation}.json", f"bm25-{generation}", f"vectors-{generation}.npy"]
        return all((self.folder / name).exists() for name in names)

    def read_catalog(self, manifest: Manifest) -> Catalog:
        raw = (self.folder / f"catalog-{manifest.generation}.json").read_bytes()
        stored = _CATALOG.validate_json(raw)
        return Catalog(stored.documents, stored.chunks, stored.payers)

    def read_bm25(self, manifest: Manifest) -> Bm25Index:
        return Bm25Index.load(self.folder / f"bm25-{manifest.generation}")

    def read_vectors(self, manifest: Manifest) -> NDArray[np.float32]:
        """The chunk vectors in catalog order, memory-mapped (pages load as searches touch them)."""
        matrix: NDArray[np.float32] = np.load(
            self.folder / f"vectors-{manifest.generation}.npy", mmap_mode="r"
        )
        return matrix

    @staticmethod
    def new_generation() -> str:
        return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)

    def write_generation(
        self, generation: str, catalog: Catalog, bm25: Bm25Index, vectors: NDArray[np.float32]
    ) -> None:
        """The files of a generation; nothing reads them until the manifest names it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = _CatalogFile(
            documents=catalog.documents, chunks=catalog.chunks, payers=catalog.payers
        )
        _write_atomically(self.folder / f"catalog-{generation}.json", _CATALOG.dump_json(stored))
        bm25_dir = self.folder / f"bm25-{generation}"
        shutil.rmtree(bm25_dir, ignore_errors=True)
        bm25.save(bm25_dir)
        with (self.folder / f"vectors-{generation}.npy").open("wb") as handle:
            np.save(handle, np.ascontiguousarray(vectors, dtype=np.float32))
            handle.flush()
            os.fsync(handle.fileno())

    def commit(self, manifest: Manifest) -> None:
        """Make `manifest` the current state, then remove every other generation's files."""
        _write_atomically(self.folder / MANIFEST, manifest.model_dump_json(indent=1).encode())
        for path in self.folder.iterdir():
            stale = (
                path.name.startswith(("catalog-", "bm25-", "vectors-"))
                and manifest.generation not in path.name
            )
            if stale and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif stale:
                path.unlink(missing_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One loader per data directory at a time, across processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "load.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def payers_hash(kb_path: Path) -> str:
    """sha256 of payers.yaml, or of nothing when the folder has none (a stable marker)."""
    path = kb_path / "payers.yaml"
    return hashlib.sha256(path.read_bytes() if path.is_file() else b"").hexdigest()
