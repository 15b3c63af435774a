"""Shared fixtures for knowledge-base tests: one loaded model, fixture folders, data dirs."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from caredesk.knowledge.embeddings import Embedder, MiniLmEmbedder, Vectors
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


class SessionEmbedder:
    """The real model, remembering vectors for the session so each test pays only once.

    It counts the texts asked for, which is what "re-embedded" means to a knowledge base.
    """

    def __init__(self, model: MiniLmEmbedder) -> None:
        self.model = model
        self.model_id = model.model_id
        self.dimensions = model.dimensions
        self.asked = 0
        self._seen: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.asked += len(texts)
        missing = [text for text in dict.fromkeys(texts) if text not in self._seen]
        if missing:
            self._seen.update(zip(missing, self.model.embed(missing), strict=True))
        return np.stack([self._seen[text] for text in texts]).astype(np.float32)


@pytest.fixture(scope="session")
def model() -> MiniLmEmbedder:
    return MiniLmEmbedder()


@pytest.fixture(scope="session")
def embedder(model: MiniLmEmbedder) -> SessionEmbedder:
    return SessionEmbedder(model)


def make_settings(data_dir: Path, kb_path: Path = FIXTURE_KB, vector_url: str = "") -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, kb_path=kb_path, vector_url=vector_url)


KbFactory = Callable[..., KnowledgeBase]


@pytest.fixture
def make_kb(embedder: SessionEmbedder) -> Iterator[KbFactory]:
    """Builds knowledge bases (closed after the test): `make_kb(data_dir, kb_path, model=...)`."""
    made: list[KnowledgeBase] = []

    def build(
        data_dir: Path,
        kb_path: Path = FIXTURE_KB,
        *,
        model: Embedder | None = None,
        vector_url: str = "",
    ) -> KnowledgeBase:
        kb = KnowledgeBase(make_settings(data_dir, kb_path, vector_url), embedder=model or embedder)
        made.append(kb)
        return kb

    yield build
    for kb in made:
        kb.close()


@pytest.fixture
def kb_folder(tmp_path: Path) -> Path:
    """A private copy of the fixture knowledge base that a test may edit."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture
def fresh_kb(tmp_path: Path, kb_folder: Path, embedder: SessionEmbedder) -> Iterator[KnowledgeBase]:
    """An empty knowledge base in its own data directory, pointed at `kb_folder`."""
    kb = KnowledgeBase(make_settings(tmp_path / "var", kb_folder), embedder=embedder)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def loaded_kb(
    tmp_path_factory: pytest.TempPathFactory, embedder: SessionEmbedder
) -> Iterator[KnowledgeBase]:
    """The fixture knowledge base, loaded once, for tests that only read."""
    data_dir = tmp_path_factory.mktemp("kb-read-only")
    kb = KnowledgeBase(make_settings(data_dir), embedder=embedder)
    kb.load()
    yield kb
    kb.close()
