"""`caredesk kb`: load the knowledge base, show what is loaded, search it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from caredesk.cli.app import app, console, err_console, fail, print_json, state
from caredesk.domain.errors import CaredeskError, NotFound
from caredesk.domain.knowledge import LoadReport
from caredesk.knowledge.service import KnowledgeBase

kb_app = typer.Typer(help="The knowledge base of payer rules.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

STAGES = {"embed": "embedding passages", "index": "writing the vector index"}


def parse_day(value: str | None, option: str = "--as-of") -> date | None:
    """An ISO date from the command line; a clear message and exit status 2 otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2026-01-31, not {value!r}", 2) from None


def open_kb() -> KnowledgeBase:
    return KnowledgeBase(state.settings, collection=state.settings.kb_collection)


def check_payer(kb: KnowledgeBase, payer: str | None) -> None:
    """Refuse an unknown payer up front, naming the known ones (exit status 2)."""
    if payer is not None and kb.resolve_payer(payer) is None:
        known = ", ".join(p.id for p in kb.payers()) or "none loaded"
        raise fail(f"unknown payer {payer!r} (known: {known})", 2)


@kb_app.command("load")
def kb_load(
    path: Annotated[
        Path | None, typer.Argument(help="Knowledge-base folder (default CAREDESK_KB_PATH).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the load report as JSON.")] = False,
) -> None:
    """Load (incrementally) a knowledge-base folder: only new or changed files are embedded."""
    kb = open_kb()
    try:
        with _progress() as progress:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(STAGES.get(stage, stage), total=total)
                progress.update(tasks[stage], completed=done, total=total)

            loaded = kb.load(path or state.settings.kb_path, progress=report)
    except CaredeskError as error:
        raise fail(error.reason, 2 if isinstance(error, NotFound) else 1) from None
    finally:
        kb.close()
    if as_json:
        print_json(loaded.model_dump(mode="json"))
        return
    _print_report(loaded)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _print_report(report: LoadReport) -> None:
    console.print(
        f"{report.documents} document versions, {report.chunks} chunks from {report.path} "
        f"in {report.seconds:.1f} s; {report.embedded} passages embedded"
    )
    for label, keys in (("added", report.added), ("changed", report.changed),
                        ("removed", report.removed)):  # fmt: skip
        for key in keys:
            console.print(f"  [bold]{label}[/bold] {key}")
    if not report.changed_anything:
        console.print(f"  nothing changed ({report.unchanged} unchanged)")
    for problem in report.problems:
        err_console.print(f"  [yellow]not loaded[/yellow] {problem}")


@kb_app.command("status")
def kb_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What is loaded, when, and where the indexes live."""
    kb = open_kb()
    try:
        status = kb.status()
    finally:
        kb.close()
    if as_json:
        print_json(status.model_dump(mode="json"))
        return
    table = Table(show_header=False)
    rows = {
        "documents": status.documents, "versions": status.versions, "chunks": status.chunks,
        "payers": status.payers, "last load": status.last_load or "never",
        "folder": status.kb_path or "", "index": status.index_location,
        "embedder": status.embedder, "files not loaded": len(status.problems),
    }  # fmt: skip
    for name, value in rows.items():
        table.add_row(name, str(value))
    console.print(table)


@kb_app.command("search")
def kb_search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    payer: Annotated[str | None, typer.Option(help="Payer id, name or alias.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Rules in force on this date (YYYY-MM-DD).")
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Search passages in force on a date, filtered by payer; best first."""
    day = parse_day(as_of)
    kb = open_kb()
    try:
        check_payer(kb, payer)
        hits = kb.search(query, payer=payer, as_of=day, k=k)
    except CaredeskError as error:
        raise fail(error.reason, 2) from None
    finally:
        kb.close()
    if as_json:
        print_json([hit.as_json() for hit in hits])
        return
    if not hits:
        console.print("no passages (is the knowledge base loaded? `caredesk kb load`)")
    for n, hit in enumerate(hits, start=1):
        console.print(f"[bold]{n}. {hit.citation}[/bold]  (score {hit.score:.4f})")
        console.print(f"   {' '.join(hit.quote.split())[:400]}")
