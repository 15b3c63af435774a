"""Helpers the copilot tests share: settings over a loaded knowledge base, users, tokens."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.support.fake_openai import FakeOpenAI

from caredesk.accounts.service import create_user, issue_token
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.domain.knowledge import LoadReport
from caredesk.domain.roles import Role
from caredesk.knowledge.embeddings import Embedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.settings import Settings
from caredesk.storage.db import transaction

SHIPPED_KB = Path(__file__).resolve().parents[2] / "knowledge_base"
VECTOR_CACHE = Path(__file__).resolve().parents[1] / "artifacts" / "copilot-vectors"


def load_keeping_vectors(settings: Settings, folder: Path, model: Embedder) -> LoadReport:
    """Load a knowledge base, keeping passage vectors between runs in tests/artifacts (ignored
    by git): a fresh checkout embeds once (~30 s on two busy cores), later runs reuse them."""
    name = f"embeddings-{model.model_id}.sqlite"
    cache, kept = settings.cache_dir / name, VECTOR_CACHE / name
    cache.parent.mkdir(parents=True, exist_ok=True)
    if kept.is_file():
        shutil.copyfile(kept, cache)
    kb = KnowledgeBase(settings, embedder=model)
    try:
        report = kb.load(folder)
    finally:
        kb.close()
    VECTOR_CACHE.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(cache, partial)
    partial.replace(kept)  # atomic: parallel workers never see half a file
    return report


def kb_settings(data_dir: Path, kb_path: Path = SHIPPED_KB, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "kb_path": kb_path,
        "kb_autoload": False,
        "seed_demo": False,
        "log_format": "console",
        "job_workers": 1,
        "job_lease_s": 5,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg, arg-type]


def llm_settings(base: Settings, fake: FakeOpenAI, **overrides: object) -> Settings:
    """Settings whose LLM is the fake chat-completions server (few retries, short timeout)."""
    values: dict[str, object] = {
        "llm": f"openai:{fake.model}",
        "llm_base_url": fake.base_url,
        "llm_api_key": "test-key",
        "llm_timeout_s": 2.0,
        "llm_max_retries": 0,
        "llm_breaker_failures": 100,
    }
    return base.model_copy(update=values | overrides)


Headers = dict[str, str]


def users_with_tokens(resources: Resources, *names: tuple[str, Role]) -> dict[str, Headers]:
    """Authorization headers for new users, by user name."""
    headers: dict[str, Headers] = {}
    with transaction(resources.db) as session:
        for name, role in names:
            user, _ = create_user(session, name, role.value, by=SYSTEM)
            headers[name] = {"Authorization": f"Bearer {issue_token(session, user, 'tests')}"}
    return headers
