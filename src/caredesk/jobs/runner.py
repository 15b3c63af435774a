"""Run claimed jobs: handlers keyed by kind, in-process worker threads with heartbeats."""

from __future__ import annotations

import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from caredesk.domain.errors import CaredeskError, InputRejected, NotFound
from caredesk.jobs.queue import ClaimedJob, JobQueue, worker_identity

log = structlog.get_logger("caredesk.jobs")


@dataclass
class JobContext:
    """What a handler gets: the job and a way to report progress (which also renews the lease)."""

    job: ClaimedJob
    queue: JobQueue

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    def progress(self, done: int, total: int, note: str = "") -> None:
        self.queue.progress(self.job.id, done, total, note)


Handler = Callable[[JobContext], None]


def execute(queue: JobQueue, handlers: Mapping[str, Handler], job: ClaimedJob) -> str:
    """Run one claimed job to done, a retry, or failed; never raises. Returns the status."""
    handler = handlers.get(job.kind)
    if handler is None:
        return queue.fail(job.id, f"no handler for job kind {job.kind!r}", retry=False)
    try:
        handler(JobContext(job, queue))
    except (InputRejected, NotFound) as exc:
        # Bad input will be just as bad next time: fail now, with the reason.
        log.warning("job.rejected", job_id=job.id, kind=job.kind, reason=exc.reason)
        return queue.fail(job.id, exc.reason, retry=False)
    except CaredeskError as exc:
        log.warning("job.error", job_id=job.id, kind=job.kind, reason=exc.reason)
        return queue.fail(job.id, exc.reason, retry=True)
    except Exception as exc:
        log.error(
            "job.crash",
            job_id=job.id,
            kind=job.kind,
            error=type(exc).__name__,
            trace=traceback.format_exc(limit=5),
        )
        return queue.fail(job.id, f"{type(exc).__name__}: {exc}"[:500], retry=True)
    queue.complete(job.id)
    return "done"


@dataclass
class InProcessRunner:
    """Worker threads that poll the queue, woken early by `notify` after an enqueue."""

    queue: JobQueue
    handlers: Mapping[str, Handler]
    workers: int = 2
    poll_s: float = 1.0
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.queue.dispatcher = self
        host = worker_identity().split(":")[0]
        released = self.queue.release_orphans(host)
        if released:
            log.info("jobs.recovered", count=released)
        for n in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"caredesk-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self, job_id: str = "", delay_s: float = 0.0) -> None:
        # Delayed retries need no timer: the poll loop picks them up when due.
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        if self.queue.dispatcher is self:
            self.queue.dispatcher = None
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self) -> None:
        worker = worker_identity(uuid.uuid4().hex[:8])
        while not self._stop.is_set():
            job = self._claim(worker)
            if job is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            heartbeat = Heartbeat(self.queue, job.id, worker)
            heartbeat.start()
            try:
                execute(self.queue, self.handlers, job)
            finally:
                heartbeat.stop()

    def _claim(self, worker: str) -> ClaimedJob | None:
        try:
            return self.queue.claim(worker)
        except Exception as exc:
            log.warning("jobs.claim_failed", error=type(exc).__name__)
            return None


class Heartbeat:
    """Renews a running job's lease so a long job is not taken for a dead one."""

    def __init__(self, queue: JobQueue, job_id: str, worker: str) -> None:
        self._queue, self._job_id, self._worker = queue, job_id, worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _beat(self) -> None:
        interval = max(self._queue.lease.total_seconds() / 3, 0.5)
        while not self._stop.wait(interval):
            try:
                self._queue.heartbeat(self._job_id, self._worker)
            except Exception:  # noqa: S112 - the next beat retries
                continue
