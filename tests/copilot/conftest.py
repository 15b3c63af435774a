"""Copilot fixtures: the shipped knowledge base loaded once per session, apps over it.

The knowledge base's files (index, vectors, catalog) live in one session directory; every test
gets its own database next to them, so answers are real and tests stay independent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.copilot.support import SHIPPED_KB, kb_settings, llm_settings, load_keeping_vectors
from tests.support.fake_openai import FakeOpenAI

from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.copilot import Copilot
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings


@pytest.fixture(scope="session")
def sentence_model() -> MiniLmEmbedder:
    return MiniLmEmbedder()


@pytest.fixture(scope="session")
def shipped_kb_dir(
    tmp_path_factory: pytest.TempPathFactory, sentence_model: MiniLmEmbedder
) -> Path:
    """A data directory holding the shipped knowledge base, loaded once per session."""
    data_dir = tmp_path_factory.mktemp("copilot-kb")
    load_keeping_vectors(kb_settings(data_dir), SHIPPED_KB, sentence_model)
    return data_dir


@pytest.fixture(scope="session")
def shipped_kb(shipped_kb_dir: Path, sentence_model: MiniLmEmbedder) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(kb_settings(shipped_kb_dir), embedder=sentence_model)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def offline_copilot(shipped_kb: KnowledgeBase, sentence_model: MiniLmEmbedder) -> Copilot:
    return Copilot(shipped_kb, embedder=sentence_model)


@pytest.fixture
def settings(shipped_kb_dir: Path, tmp_path: Path) -> Settings:
    """The root fixture, pointed at the loaded knowledge base with a database of its own."""
    return kb_settings(shipped_kb_dir, database_url=f"sqlite:///{tmp_path / 'caredesk.db'}")


@pytest.fixture
def resources(settings: Settings, sentence_model: MiniLmEmbedder) -> Iterator[Resources]:
    built = Resources.build(settings, embedder=sentence_model)
    yield built
    built.close()


@pytest.fixture
def llm_resources(
    settings: Settings, sentence_model: MiniLmEmbedder, fake_openai: FakeOpenAI
) -> Iterator[Resources]:
    built = Resources.build(llm_settings(settings, fake_openai), embedder=sentence_model)
    yield built
    built.close()


ClientFactory = Callable[[Resources], TestClient]


@pytest.fixture
def open_client() -> Iterator[ClientFactory]:
    """Opens test clients over given resources; closes them after the test."""
    opened: list[TestClient] = []

    def open_one(resources: Resources) -> TestClient:
        client = TestClient(create_app(resources.settings, resources=resources))
        client.__enter__()
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.__exit__(None, None, None)
