"""Durable jobs: idempotent enqueue, exclusive claims, retries, and recovery after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from caredesk.domain.errors import InputRejected
from caredesk.jobs.queue import JobQueue, worker_identity
from caredesk.jobs.runner import InProcessRunner, JobContext, execute
from caredesk.settings import Settings
from caredesk.storage.db import make_engine, make_session_factory, transaction
from caredesk.storage.migrate import upgrade
from caredesk.storage.models import Job


@pytest.fixture
def queue(database_url: str) -> JobQueue:
    engine = make_engine(database_url)
    upgrade(engine)
    yield JobQueue(make_session_factory(engine), lease_s=1)  # type: ignore[misc]
    engine.dispose()


def _enqueue(queue: JobQueue, key: str = "k1", kind: str = "work") -> str:
    with transaction(queue.factory) as session:
        return queue.enqueue(session, kind, key, {"n": 1}, max_attempts=2).id


def _status(queue: JobQueue, job_id: str) -> Job:
    job = queue.get(job_id)
    assert job is not None
    return job


def test_enqueue_is_idempotent_per_key_while_unfinished(queue: JobQueue) -> None:
    first = _enqueue(queue)
    assert _enqueue(queue) == first
    job = queue.claim("w1")
    assert job is not None
    queue.complete(job.id)
    assert _enqueue(queue) != first  # a finished job does not block new work


def test_only_one_worker_claims_a_job(queue: JobQueue) -> None:
    _enqueue(queue)
    winners: list[str] = []

    def grab(name: str) -> None:
        if queue.claim(name) is not None:
            winners.append(name)

    threads = [threading.Thread(target=grab, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_failures_retry_then_fail_with_the_last_error(queue: JobQueue) -> None:
    job_id = _enqueue(queue)

    def flaky(_ctx: JobContext) -> None:
        raise RuntimeError("OCR engine crashed")

    job = queue.claim("w1")
    assert job is not None
    assert execute(queue, {"work": flaky}, job) == "queued"
    assert _status(queue, job_id).last_error.startswith("RuntimeError")
    with transaction(queue.factory) as session:  # skip the backoff wait
        session.get(Job, job_id).run_after = _status(queue, job_id).created_at  # type: ignore[union-attr]
    job = queue.claim("w1")
    assert job is not None and job.attempts == 2
    assert execute(queue, {"work": flaky}, job) == "failed"
    assert _status(queue, job_id).status == "failed"


def test_rejected_input_fails_at_once(queue: JobQueue) -> None:
    job_id = _enqueue(queue)

    def reject(_ctx: JobContext) -> None:
        raise InputRejected("the PDF is encrypted with a password")

    job = queue.claim("w1")
    assert job is not None
    assert execute(queue, {"work": reject}, job) == "failed"
    assert _status(queue, job_id).last_error == "the PDF is encrypted with a password"


def test_an_expired_lease_lets_another_worker_take_over(queue: JobQueue) -> None:
    _enqueue(queue)
    assert queue.claim("dead-worker") is not None
    assert queue.claim("w2") is None  # still leased
    time.sleep(1.2)
    taken = queue.claim("w2")
    assert taken is not None and taken.attempts == 2


def test_jobs_of_a_dead_process_on_this_host_are_released_at_start(queue: JobQueue) -> None:
    job_id = _enqueue(queue)
    host = worker_identity().split(":")[0]
    assert queue.claim(f"{host}:999999:gone") is not None  # pid 999999 is not running
    assert queue.release_orphans(host) == 1
    assert _status(queue, job_id).status == "queued"


CRASHING_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from caredesk.settings import Settings
    from caredesk.api.resources import Resources
    from caredesk.jobs.runner import InProcessRunner

    settings = Settings(data_dir=Path(sys.argv[1]), job_lease_s=60, _env_file=None)
    resources = Resources.build(settings)
    def slow(ctx):
        ctx.progress(1, 10, "working")
        time.sleep(60)
    InProcessRunner(resources.queue, {"slow": slow}, workers=1, poll_s=0.1).start()
    time.sleep(120)
    """
)


@pytest.mark.slow
def test_a_job_killed_mid_run_resumes_after_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", job_lease_s=60, _env_file=None)  # type: ignore[call-arg]
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    queue = JobQueue(make_session_factory(engine), lease_s=60)
    job_id = _enqueue(queue, kind="slow")
    worker = subprocess.Popen([sys.executable, "-c", CRASHING_WORKER, str(settings.data_dir)])
    try:
        deadline = time.monotonic() + 180  # a cold interpreter start is slow on a busy machine
        while _status(queue, job_id).progress_done != 1:
            assert time.monotonic() < deadline, "worker never started the job"
            time.sleep(0.1)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert _status(queue, job_id).status == "running"  # the crash left it mid-run
    done = threading.Event()
    runner = InProcessRunner(queue, {"slow": lambda ctx: done.set()}, workers=1, poll_s=0.1)
    runner.start()  # the restart: releases the dead process's job at once, lease or not
    try:
        assert done.wait(10)
        time.sleep(0.3)
        final = _status(queue, job_id)
        assert (final.status, final.attempts) == ("done", 2)
    finally:
        runner.stop()
        engine.dispose()
