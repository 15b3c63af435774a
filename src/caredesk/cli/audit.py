"""`caredesk audit`: verify the hash chain, export events as JSONL."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from caredesk.audit.log import iter_events
from caredesk.audit.verify import verify_chain
from caredesk.cli.app import app, console, err_console, fail, print_json, resources

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recompute the hash chain; exit 1 and name the first broken event if it was tampered with."""
    with resources() as built, built.read_db() as session:
        result = verify_chain(session)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "events": result.events,
                "broken_seq": result.broken_seq,
                "reason": result.reason,
            }
        )
    else:
        (console if result.ok else err_console).print(result.summary())
    if not result.ok:
        raise typer.Exit(1)


def _valid_iso(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name} must be an ISO date or time such as 2026-03-01, got {value!r}", 2)
    return value


@audit_app.command("export")
def audit_export(
    since: Annotated[str | None, typer.Option(help="ISO date/time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date/time, exclusive.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write audit events as JSON lines (one event per line, in sequence order)."""
    since, until = _valid_iso(since, "since"), _valid_iso(until, "until")
    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    count = 0
    try:
        with resources() as built, built.read_db() as session:
            for event in iter_events(session, since=since, until=until):
                handle.write(json.dumps(event.model_dump(), sort_keys=True) + "\n")
                count += 1
    finally:
        if out:
            handle.close()
    if out:
        console.print(f"wrote {count} events to {out}")
