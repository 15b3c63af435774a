"""Celery on Redis behind the job interface: the only module that imports celery."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from celery import Celery

from caredesk.jobs.queue import JobQueue, worker_identity
from caredesk.jobs.runner import Handler, Heartbeat, execute

log = structlog.get_logger("caredesk.jobs")
TASK = "caredesk.run_job"
QUEUE = "caredesk"


@dataclass
class _WorkerContext:
    queue: JobQueue
    handlers: Mapping[str, Handler]


_context: _WorkerContext | None = None


def make_celery(broker_url: str) -> Celery:
    """A Celery app whose single task runs one durable job by id.

    The job row stays the source of truth: a message is only a hint, so a lost, duplicated or
    late message is harmless (the claim decides who runs what).
    """
    app = Celery("caredesk", broker=broker_url)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name=TASK)  # type: ignore[untyped-decorator]
    def run_job(job_id: str) -> str:
        if _context is None:
            raise RuntimeError("worker not configured: start it with `caredesk worker`")
        worker = worker_identity("celery")
        job = _context.queue.claim(worker, job_id=job_id)
        if job is None:
            return "not runnable"  # done already, taken by another worker, or not due yet
        heartbeat = Heartbeat(_context.queue, job.id, worker)
        heartbeat.start()
        try:
            return execute(_context.queue, _context.handlers, job)
        finally:
            heartbeat.stop()

    return app


class CeleryDispatcher:
    """Announces committed jobs to Celery workers through the broker."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def notify(self, job_id: str, delay_s: float = 0.0) -> None:
        try:
            self.app.send_task(TASK, args=[job_id], countdown=delay_s or None, queue=QUEUE)
        except Exception as exc:
            log.warning("jobs.dispatch_failed", job_id=job_id, error=type(exc).__name__)


def configure_worker(queue: JobQueue, handlers: Mapping[str, Handler]) -> None:
    global _context
    _context = _WorkerContext(queue, handlers)


class Sweeper:
    """Re-announces runnable jobs every few seconds: covers lost messages and dead workers."""

    def __init__(self, queue: JobQueue, dispatcher: CeleryDispatcher, every_s: float) -> None:
        self.queue, self.dispatcher, self.every_s = queue, dispatcher, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="caredesk-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for job_id in self.queue.runnable_ids():
                    self.dispatcher.notify(job_id)
            except Exception as exc:
                log.warning("jobs.sweep_failed", error=type(exc).__name__)
            self._stop.wait(self.every_s)


def run_worker(app: Celery, concurrency: int) -> None:
    """Block running a Celery worker (thread pool) on the caredesk queue."""
    app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--queues={QUEUE}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
