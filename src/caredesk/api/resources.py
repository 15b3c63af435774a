"""The composition root: build every long-lived resource from Settings, and close them."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from caredesk.agent.budget import Limits
from caredesk.agent.runner import AgentDeps, make_agent_handler
from caredesk.agent.runs import AGENT_JOB
from caredesk.copilot import Copilot, LazyEmbedder
from caredesk.domain.errors import CaredeskError
from caredesk.ingest.pipeline import PreprocessOptions, limits_from
from caredesk.ingest.tasks import (
    EXTRACT_JOB,
    INGEST_JOB,
    IngestContext,
    make_extract_handler,
    make_ingest_handler,
)
from caredesk.jobs.celery_app import CeleryDispatcher, make_celery
from caredesk.jobs.queue import JobQueue
from caredesk.jobs.runner import Handler, InProcessRunner
from caredesk.knowledge.embeddings import CachedEmbedder, Embedder
from caredesk.knowledge.service import KnowledgeBase
from caredesk.llm import ChatModel, PromptRegistry, build_chat_model
from caredesk.outbox.send import OUTBOX_JOB, make_outbox_handler
from caredesk.settings import Settings
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import make_engine, make_read_factory, make_session_factory
from caredesk.storage.migrate import upgrade

log = structlog.get_logger("caredesk")


@dataclass
class Resources:
    settings: Settings
    engine: Engine
    db: sessionmaker[Session]
    read_db: sessionmaker[Session]
    blobs: BlobStore
    queue: JobQueue
    secret_key: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    runner: InProcessRunner | None = None
    # Knowledge base and copilot: one sentence model shared by both, loaded on first use.
    kb: KnowledgeBase = field(init=False)
    prompts: PromptRegistry = field(init=False)
    copilot: Copilot = field(init=False)
    chat: ChatModel | None = None
    kb_loader: threading.Thread | None = None
    sentence_vectors: CachedEmbedder | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, migrate: bool = True, embedder: Embedder | None = None
    ) -> Resources:
        """Every resource; `embedder` shares one loaded sentence model (tests, workers)."""
        settings.ensure_dirs()
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            upgrade(engine)
        db = make_session_factory(engine)
        resources = cls(
            settings=settings,
            engine=engine,
            db=db,
            read_db=make_read_factory(engine),
            blobs=BlobStore(settings.blob_dir),
            queue=JobQueue(db, lease_s=settings.job_lease_s),
            secret_key=settings.secret_key or _stored_secret(settings.data_dir / "secret.key"),
        )
        ingest = IngestContext(
            db=db,
            blobs=resources.blobs,
            limits=limits_from(settings),
            options=PreprocessOptions(),
            auto_accept=settings.auto_accept_threshold,
        )
        resources.handlers = {
            INGEST_JOB: make_ingest_handler(ingest),
            EXTRACT_JOB: make_extract_handler(ingest),
            OUTBOX_JOB: make_outbox_handler(db, timeout_s=settings.outbox_timeout_s),
        }
        resources._build_copilot(embedder or LazyEmbedder())
        resources.handlers[AGENT_JOB] = make_agent_handler(resources.agent_deps())
        return resources

    def _build_copilot(self, embedder: Embedder) -> None:
        self.kb = KnowledgeBase(
            self.settings, embedder=embedder, collection=self.settings.kb_collection
        )
        self.prompts = PromptRegistry.load(self.settings.prompts_path)
        self.chat = build_chat_model(self.settings)
        # The copilot embeds answer sentences through the knowledge base's vector cache.
        self.sentence_vectors = CachedEmbedder(embedder, self.settings.cache_dir)
        self.copilot = Copilot(
            self.kb,
            chat=self.chat,
            prompts=self.prompts,
            embedder=self.sentence_vectors,
            verify_with_llm=self.settings.copilot_verify_with_llm,
        )

    def agent_deps(self) -> AgentDeps:
        """What the packet-assembly agent runs with: these databases, knowledge base, model."""
        return AgentDeps(
            db=self.db,
            read_db=self.read_db,
            kb=self.kb,
            prompts=self.prompts,
            database_url=self.settings.resolved_database_url,
            chat=self.chat,
            limits=Limits.from_settings(self.settings),
            review_threshold=self.settings.review_threshold,
        )

    def start_kb_autoload(self) -> None:
        """Bring the knowledge base in line with `kb_path` in the background (incremental: an
        unchanged folder costs a file scan); searches answer from the last load meanwhile."""
        if not self.settings.kb_autoload or self.kb_loader is not None:
            return
        self.kb_loader = threading.Thread(target=self._autoload, name="kb-autoload", daemon=True)
        self.kb_loader.start()

    def _autoload(self) -> None:
        try:
            report = self.kb.load(self.settings.kb_path)
        except CaredeskError as error:
            log.warning("kb.autoload_failed", reason=error.reason)
            return
        log.info("kb.autoload", documents=report.documents, changed=report.changed_anything)

    def start_workers(self) -> None:
        """In-process workers by default; with a broker, announce jobs to Celery workers
        (`caredesk worker`) instead."""
        if self.settings.broker_url:
            if self.queue.dispatcher is None:
                self.queue.dispatcher = CeleryDispatcher(make_celery(self.settings.broker_url))
            return
        if self.runner is None:
            self.runner = InProcessRunner(self.queue, self.handlers, self.settings.job_workers)
            self.runner.start()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        self.kb.close()
        if self.sentence_vectors is not None:
            self.sentence_vectors.close()
        if self.chat is not None:
            self.chat.close()
        self.engine.dispose()


def _stored_secret(path: Path) -> str:
    """The installation's signing key, created once with owner-only permissions."""
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.chmod(0o600)
    tmp.replace(path)
    return secret
