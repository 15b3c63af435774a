"""`caredesk worker`: a Celery worker for background jobs (when CAREDESK_BROKER_URL is set)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from caredesk.api.resources import Resources
from caredesk.cli.app import app, console, fail, state
from caredesk.jobs.celery_app import (
    CeleryDispatcher,
    Sweeper,
    configure_worker,
    make_celery,
    run_worker,
)
from caredesk.logs import configure_logging


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once by this worker.")] = 2,
    sweep_every: Annotated[
        float, typer.Option(min=1.0, help="Seconds between re-announcing waiting jobs.")
    ] = 10.0,
) -> None:
    """Run background jobs from the Celery broker (Redis) instead of inside `serve`."""
    settings = state.settings
    if not settings.broker_url:
        raise fail("set CAREDESK_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run workers", 2)
    configure_logging(settings)
    built = Resources.build(settings)
    celery_app = make_celery(settings.broker_url)
    dispatcher = CeleryDispatcher(celery_app)
    built.queue.dispatcher = dispatcher
    configure_worker(built.queue, built.handlers)
    built.start_kb_autoload()  # agent jobs read the knowledge base
    released = built.queue.release_orphans(socket.gethostname())
    sweeper = Sweeper(built.queue, dispatcher, sweep_every)
    sweeper.start()
    console.print(
        f"caredesk worker: broker {_redacted(settings.broker_url)}, "
        f"concurrency {concurrency}, released {released} orphaned job(s)"
    )
    try:
        run_worker(celery_app, concurrency)
    finally:
        sweeper.stop()
        built.close()


def _redacted(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
