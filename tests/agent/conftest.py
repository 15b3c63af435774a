"""Agent fixtures: the shipped knowledge base loaded once, synthetic cases read once, each test
on a database of its own (SQLite by default; PostgreSQL where a test asks for it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.agent.support import ReadBundle, read_bundle
from tests.copilot.support import SHIPPED_KB, kb_settings, load_keeping_vectors

from caredesk.api.resources import Resources
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.settings import Settings

# The cases the tests use, found once by scanning the deterministic generator (a test checks
# each still is what its name says, so a generator change shows up as a clear failure).
CASES: dict[str, tuple[int, str, dict[str, Any]]] = {
    # Quillfeather in-lab polysomnography: the synthetic papers cover its whole checklist.
    "complete": (3, "complete", {"service": "sleep-study-lab"}),
    "missing": (2, "missing", {"service": "sleep-study-lab",
                               "missing": ("home-test-inadequate", "comorbidity")}),
    "injected": (3, "injected", {"service": "sleep-study-lab", "hidden_injection": False,
                                 "missing": ("home-test-inadequate", "comorbidity")}),
    "conflicting_dob": (4, "conflicting", {"service": "sleep-study-lab",
                                           "conflict_field": "date_of_birth"}),
    # Quillfeather lumbar MRI without contrast (72148): PA until 2025-12-31, none from 2026.
    "mri_72148": (7, "complete", {"service": "mri-lumbar"}),
    # Tumbleweed CPAP with a visible order to the reviewer; one item has half its evidence.
    "injected_partial": (5, "injected", {"service": "cpap", "hidden_injection": False}),
    # Tumbleweed in-lab polysomnography, complete.
    "tumbleweed": (2, "complete", {"service": "sleep-study-lab"}),
}  # fmt: skip


@pytest.fixture(scope="session")
def sentence_model() -> MiniLmEmbedder:
    return MiniLmEmbedder()


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory, sentence_model: MiniLmEmbedder) -> Path:
    """A data directory holding the shipped knowledge base, loaded once per session."""
    data_dir = tmp_path_factory.mktemp("agent-kb")
    load_keeping_vectors(kb_settings(data_dir), SHIPPED_KB, sentence_model)
    return data_dir


_READ: dict[str, ReadBundle] = {}


@pytest.fixture(scope="session")
def bundles() -> Callable[[str], ReadBundle]:
    """The named case's papers as the pipeline read them (each read once per session)."""

    def get(name: str) -> ReadBundle:
        if name not in _READ:
            seed, scenario, options = CASES[name]
            _READ[name] = read_bundle(seed, scenario, **options)
        return _READ[name]

    return get


@pytest.fixture
def settings(kb_dir: Path, tmp_path: Path) -> Settings:
    return kb_settings(kb_dir, database_url=f"sqlite:///{tmp_path / 'caredesk.db'}")


@pytest.fixture
def resources(settings: Settings, sentence_model: MiniLmEmbedder) -> Iterator[Resources]:
    built = Resources.build(settings, embedder=sentence_model)
    yield built
    built.close()
