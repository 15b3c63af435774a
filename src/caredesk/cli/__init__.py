"""The `caredesk` command line (Typer): serve, db, users, ingest, documents, case, kb, ask, demo…"""

from __future__ import annotations

from caredesk.cli import (  # noqa: F401
    agent,
    ask,
    audit,
    cases,
    db,
    demo,
    documents,
    kb,
    serve,
    users,
    worker,
)
from caredesk.cli.app import app

__all__ = ["app"]
