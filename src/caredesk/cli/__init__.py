"""The `caredesk` command line (Typer): serve, db, users, ingest, documents, audit, version."""

from __future__ import annotations

from caredesk.cli import audit, db, documents, serve, users, worker  # noqa: F401
from caredesk.cli.app import app

__all__ = ["app"]
