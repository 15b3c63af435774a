"""Knowledge-base API and CLI fixtures: a small test knowledge base, loaded once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from caredesk.api.resources import Resources
from caredesk.cli import app
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"


def small_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "kb_path": FIXTURE_KB,
        "kb_autoload": False,
        "seed_demo": False,
        "log_format": "console",
        "job_workers": 1,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg, arg-type]


@pytest.fixture(scope="session")
def small_model() -> MiniLmEmbedder:
    return MiniLmEmbedder()


@pytest.fixture(scope="session")
def small_kb_dir(tmp_path_factory: pytest.TempPathFactory, small_model: MiniLmEmbedder) -> Path:
    """A data directory with the test knowledge base loaded (a dozen passages)."""
    data_dir = tmp_path_factory.mktemp("kb-api")
    kb = KnowledgeBase(small_settings(data_dir), embedder=small_model)
    kb.load(FIXTURE_KB)
    kb.close()
    return data_dir


@pytest.fixture
def settings(small_kb_dir: Path, tmp_path: Path) -> Settings:
    """The root fixture over the loaded test knowledge base, with a database of its own."""
    return small_settings(small_kb_dir, database_url=f"sqlite:///{tmp_path / 'caredesk.db'}")


@pytest.fixture
def resources(settings: Settings, small_model: MiniLmEmbedder) -> Iterator[Resources]:
    built = Resources.build(settings, embedder=small_model)
    yield built
    built.close()


class Cli:
    """Runs `caredesk` the way a person does, with environment variables for settings."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A fresh data directory named by CAREDESK_DATA_DIR, knowledge base not loaded yet."""
    return Cli(
        {
            "CAREDESK_DATA_DIR": str(tmp_path / "data"),
            "CAREDESK_KB_PATH": str(FIXTURE_KB),
            "CAREDESK_KB_AUTOLOAD": "false",
            "CAREDESK_LOG_FORMAT": "console",
        }
    )
