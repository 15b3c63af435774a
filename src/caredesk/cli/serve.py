"""`caredesk serve`: migrate, create the first admin (and, with `seed_demo`, the demo) on an
empty installation, serve HTTP."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from caredesk.accounts.service import count_users, create_user
from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.cli.app import app, console, state
from caredesk.cli.demo import print_logins
from caredesk.logs import configure_logging
from caredesk.storage.db import transaction
from caredesk.web.demo import installation_is_empty, seed_in_background, seed_users


def bootstrap_admin(built: Resources) -> tuple[str, str] | None:
    """On an installation with no users, create `admin` and return its login (shown once)."""
    with transaction(built.db) as session:
        if count_users(session) > 0:
            return None
        user, password = create_user(
            session, "admin", "admin", full_name="Administrator", by=SYSTEM
        )
        return user.username, password


def _print_kb(built: Resources) -> None:
    """What the copilot will answer from, and whether a refresh runs in the background."""
    status = built.kb.status()
    loaded = f"{status.versions} document versions, {status.chunks} chunks"
    if not status.chunks:
        loaded = "nothing loaded yet"
    refresh = (
        f"; loading {built.settings.kb_path} in the background"
        if built.settings.kb_autoload
        else ""
    )
    console.print(f"knowledge base: {loaded}{refresh}  (engine: {built.copilot.engine})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default CAREDESK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CAREDESK_PORT).")] = None,
) -> None:
    """Start the service: API, background workers, and (later) the web pages."""
    settings = state.settings
    configure_logging(settings)
    built = Resources.build(settings)
    # Demo data goes only into an installation with nobody in it yet (see caredesk.web.demo).
    seed = settings.seed_demo and installation_is_empty(built)
    login = bootstrap_admin(built)
    if login:
        console.rule("[bold]first start[/bold]")
        console.print(
            f"Admin login: user [bold]{login[0]}[/bold]  password [bold]{login[1]}[/bold]"
        )
        console.print(
            "This password is shown once. Create more users with "
            "`caredesk users create NAME --role ROLE`."
        )
        console.rule()
    if seed:
        print_logins(seed_users(built))
        console.print("Demo documents are being read in the background; cases open as they finish.")
    application = create_app(settings, resources=built)
    if seed:
        seed_in_background(built)
    _print_kb(built)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(
        f"caredesk listening on http://{bind_host}:{bind_port}  (data: {settings.data_dir})"
    )
    try:
        uvicorn.run(application, host=bind_host, port=bind_port, log_config=None, access_log=False)
    finally:
        built.close()
