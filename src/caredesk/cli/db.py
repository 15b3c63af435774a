"""`caredesk db`: apply migrations, show the schema revision."""

from __future__ import annotations

import typer

from caredesk.cli.app import app, console, state
from caredesk.storage.db import make_engine
from caredesk.storage.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (safe to run again)."""
    settings = state.settings
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"database already at revision {after}")
    else:
        console.print(f"database upgraded: {before or 'empty'} → {after}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one available."""
    settings = state.settings
    engine = make_engine(settings.resolved_database_url)
    try:
        console.print(
            f"current: {current_revision(engine) or 'empty'}; head: {head_revision(engine)}"
        )
    finally:
        engine.dispose()
