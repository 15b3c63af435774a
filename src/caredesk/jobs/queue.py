"""The durable job queue: rows in the database, claimed under a lease, idempotent by key."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, event, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from caredesk.storage.db import transaction
from caredesk.storage.models import Job, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING)


def worker_identity(suffix: str = "") -> str:
    """`host:pid[:suffix]`: lets a restarted process recognise its dead predecessor's jobs."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f":{suffix}" if suffix else "")


class Dispatcher(Protocol):
    """Tells workers a job is waiting: a thread event in-process, a Celery message at scale."""

    def notify(self, job_id: str, delay_s: float = 0.0) -> None: ...


_NEW_JOBS = "caredesk_new_jobs"


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


class JobQueue:
    """All job state transitions; each runs in its own short transaction."""

    def __init__(self, factory: sessionmaker[Session], *, lease_s: float = 30.0) -> None:
        self.factory = factory
        self.lease = timedelta(seconds=lease_s)
        self.dispatcher: Dispatcher | None = None
        # Workers hear of a job only once its row is committed, or they could miss it.
        event.listen(factory, "after_commit", self._after_commit)

    def _after_commit(self, session: Session) -> None:
        job_ids = session.info.pop(_NEW_JOBS, [])
        if self.dispatcher is not None:
            for job_id in job_ids:
                self.dispatcher.notify(job_id)

    def enqueue(
        self,
        session: Session,
        kind: str,
        key: str,
        payload: dict[str, Any],
        *,
        max_attempts: int = 3,
    ) -> Job:
        """A job in the caller's transaction, or the unfinished job that already has `key`."""
        existing = session.execute(
            select(Job).where(Job.key == key, Job.status.in_(UNFINISHED))
        ).scalar_one_or_none()
        if existing is not None:
            return existing
        job = Job(
            kind=kind, key=key, payload=payload, max_attempts=max_attempts, run_after=utcnow()
        )
        session.add(job)
        session.flush()
        return job

    def claim(self, worker: str, job_id: str | None = None) -> ClaimedJob | None:
        """Take the oldest runnable job (or `job_id`): queued and due, or running with an
        expired lease (its worker died). The conditional UPDATE makes the claim atomic."""
        now = utcnow()
        runnable = or_(
            (Job.status == QUEUED) & (Job.run_after <= now),
            (Job.status == RUNNING) & (Job.locked_until < now),
        )
        with transaction(self.factory) as session:
            query = select(Job.id).where(runnable).order_by(Job.run_after).limit(1)
            if job_id is not None:
                query = select(Job.id).where(runnable, Job.id == job_id)
            candidate = session.execute(query).scalar_one_or_none()
            if candidate is None:
                return None
            claimed = session.execute(
                update(Job)
                .where(Job.id == candidate, runnable)
                .values(
                    status=RUNNING,
                    locked_by=worker,
                    locked_until=now + self.lease,
                    attempts=Job.attempts + 1,
                )
            )
            if _rowcount(claimed) != 1:
                return None
            job = session.get(Job, candidate)
            assert job is not None
            session.refresh(job)
            return ClaimedJob(
                job.id, job.kind, job.key, dict(job.payload), job.attempts, job.max_attempts
            )

    def heartbeat(self, job_id: str, worker: str) -> bool:
        """Extend the lease; False when the job is no longer ours."""
        with transaction(self.factory) as session:
            renewed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.locked_by == worker, Job.status == RUNNING)
                .values(locked_until=utcnow() + self.lease)
            )
            return _rowcount(renewed) == 1

    def progress(self, job_id: str, done: int, total: int, note: str = "") -> None:
        with transaction(self.factory) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    progress_done=done,
                    progress_total=total,
                    progress_note=note[:255],
                    locked_until=utcnow() + self.lease,
                )
            )

    def complete(self, job_id: str) -> None:
        self._finish(job_id, DONE, "")

    def fail(self, job_id: str, error: str, *, retry: bool, backoff_s: float = 2.0) -> str:
        """Record a failure; requeue with backoff while attempts remain. Returns the new status."""
        retry_in: float | None = None
        with transaction(self.factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return FAILED
            if retry and job.attempts < job.max_attempts:
                retry_in = backoff_s * 2 ** (job.attempts - 1)
                job.status, job.last_error = QUEUED, error
                job.locked_by, job.locked_until = None, None
                job.run_after = utcnow() + timedelta(seconds=retry_in)
        if retry_in is None:
            self._finish(job_id, FAILED, error)
            return FAILED
        if self.dispatcher is not None:
            self.dispatcher.notify(job_id, retry_in)
        return QUEUED

    def _finish(self, job_id: str, status: str, error: str) -> None:
        with transaction(self.factory) as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    status=status,
                    last_error=error,
                    locked_by=None,
                    locked_until=None,
                    finished_at=utcnow(),
                )
            )

    def release_orphans(self, host: str) -> int:
        """Requeue jobs held by dead processes of this host (a restart after a crash)."""
        with transaction(self.factory) as session:
            rows = (
                session.execute(
                    select(Job).where(Job.status == RUNNING, Job.locked_by.like(f"{host}:%"))
                )
                .scalars()
                .all()
            )
            orphans = [job for job in rows if not _alive(job.locked_by or "")]
            for job in orphans:
                job.status, job.locked_by, job.locked_until = QUEUED, None, None
            return len(orphans)

    def runnable_ids(self, limit: int = 500) -> list[str]:
        """Jobs a worker could take now: used to re-announce work a lost message left behind."""
        now = utcnow()
        with self.factory() as session:
            return list(
                session.execute(
                    select(Job.id)
                    .where(
                        or_(
                            (Job.status == QUEUED) & (Job.run_after <= now),
                            (Job.status == RUNNING) & (Job.locked_until < now),
                        )
                    )
                    .order_by(Job.run_after)
                    .limit(limit)
                ).scalars()
            )

    def get(self, job_id: str) -> Job | None:
        with self.factory() as session:
            return session.get(Job, job_id)

    def latest_for_key(self, key: str) -> Job | None:
        with self.factory() as session:
            return session.execute(
                select(Job).where(Job.key == key).order_by(Job.created_at.desc()).limit(1)
            ).scalar_one_or_none()


def _rowcount(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _alive(locked_by: str) -> bool:
    parts = locked_by.split(":")
    if len(parts) < 2 or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # our own pid from a previous life (containers reuse pids): not running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
