"""The `caredesk` command line (Typer): serve, db, users, ingest, documents, audit, version."""

from __future__ import annotations

from caredesk.cli import audit, db, documents, serve, users  # noqa: F401  (register commands)
from caredesk.cli.app import app

__all__ = ["app"]
