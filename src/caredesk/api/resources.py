"""The composition root: build every long-lived resource from Settings, and close them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from caredesk.ingest.intake import INGEST_JOB
from caredesk.ingest.tasks import make_ingest_handler
from caredesk.jobs.celery_app import CeleryDispatcher, make_celery
from caredesk.jobs.queue import JobQueue
from caredesk.jobs.runner import Handler, InProcessRunner
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

    @classmethod
    def build(cls, settings: Settings, *, migrate: bool = True) -> Resources:
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
        resources.handlers = {
            INGEST_JOB: make_ingest_handler(db, resources.blobs, max_pages=settings.max_pages),
        }
        return resources

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
