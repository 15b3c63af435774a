"""`caredesk ingest` and `caredesk documents`: upload files or folders, list documents."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from caredesk.api.resources import Resources
from caredesk.cli.app import app, console, err_console, fail, print_json, resources, state
from caredesk.cli.users import CLI_ACTOR
from caredesk.domain.errors import CaredeskError
from caredesk.ingest.intake import accept_upload
from caredesk.ingest.pipeline import extract_file
from caredesk.logs import configure_logging
from caredesk.storage.models import Document

documents_app = typer.Typer(help="Documents stored in this installation.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")

FINAL = {"ready", "needs_attention", "failed"}


@dataclass
class Outcome:
    path: Path
    result: str  # new | duplicate | rejected
    document_id: str = ""
    reason: str = ""


def expand_paths(paths: list[Path]) -> Iterator[Path]:
    """Files as given, and every file under given folders (sorted, hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from (
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
        elif path.is_file():
            yield path
        else:
            err_console.print(f"[yellow]skipped[/yellow] {path}: no such file or folder")


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            yield block


def _upload_local(built: Resources, path: Path) -> Outcome:
    try:
        accepted = accept_upload(
            built.db,
            built.blobs,
            built.queue,
            filename=path.name,
            chunks=_read_chunks(path),
            max_bytes=built.settings.max_upload_mb * 1024 * 1024,
            actor=CLI_ACTOR,
        )
    except CaredeskError as exc:
        return Outcome(path, "rejected", reason=exc.reason)
    return Outcome(path, "duplicate" if accepted.duplicate else "new", accepted.document.id)


def _upload_remote(client: httpx.Client, path: Path) -> Outcome:
    with path.open("rb") as handle:
        response = client.post("/api/documents", files={"file": (path.name, handle)})
    if response.status_code in (200, 201):
        body = response.json()
        return Outcome(path, "duplicate" if body["duplicate"] else "new", body["id"])
    if response.status_code in (401, 403):
        fail(f"the server refused the token: {response.json().get('reason', response.text)}")
    return Outcome(path, "rejected", reason=_reason(response))


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", response.text))
    except ValueError:
        return f"HTTP {response.status_code}"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def _summarise(outcomes: list[Outcome], as_json: bool) -> None:
    counts = Counter(o.result for o in outcomes)
    if as_json:
        print_json(
            {
                "counts": dict(counts),
                "files": [o.__dict__ | {"path": str(o.path)} for o in outcomes],
            }
        )
        return
    console.print(
        f"{len(outcomes)} files: {counts['new']} new, {counts['duplicate']} duplicates, "
        f"{counts['rejected']} rejected"
    )
    for outcome in outcomes:
        if outcome.result == "rejected":
            console.print(f"  [red]rejected[/red] {outcome.path}: {outcome.reason}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to upload.")],
    api: Annotated[
        str | None,
        typer.Option(
            help="Upload to a running server at this URL instead of the local data directory."
        ),
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="CAREDESK_TOKEN", help="Bearer token for --api.")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            help="Process the documents now (local mode) and wait "
            "until each is ready, needs attention or failed."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Upload documents (PDF, TIFF, PNG, JPEG); the same bytes are stored only once."""
    files = list(expand_paths(paths))
    if not files:
        fail("no files to ingest", 2)
    if api and not token:
        fail("--api needs --token (or CAREDESK_TOKEN)", 2)
    outcomes: list[Outcome] = []
    with _progress() as progress:
        task = progress.add_task("uploading", total=len(files))
        if api:
            with httpx.Client(
                base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=120
            ) as client:
                for path in files:
                    outcomes.append(_upload_remote(client, path))
                    progress.advance(task)
        else:
            with resources() as built:
                for path in files:
                    outcomes.append(_upload_local(built, path))
                    progress.advance(task)
                if wait:
                    _wait_for(built, [o.document_id for o in outcomes if o.document_id], progress)
    _summarise(outcomes, as_json)


def _wait_for(built: Resources, document_ids: list[str], progress: Progress) -> None:
    built.start_workers()
    task = progress.add_task("processing", total=len(document_ids))
    pending = set(document_ids)
    while pending:
        with built.read_db() as session:
            rows = session.execute(
                select(Document.id, Document.status).where(Document.id.in_(pending))
            ).all()
        finished = {doc_id for doc_id, status in rows if status in FINAL}
        progress.advance(task, len(finished))
        pending -= finished
        if pending:
            time.sleep(0.3)


def _row(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "filename": document.filename,
        "status": document.status,
        "doc_type": document.doc_type,
        "pages": document.page_count,
        "reason": document.status_reason,
        "created_at": document.created_at.isoformat(),
    }


@documents_app.command("list")
def documents_list(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List documents, newest first."""
    query = select(Document).order_by(Document.created_at.desc()).limit(limit)
    if status:
        query = query.where(Document.status == status)
    if doc_type:
        query = query.where(Document.doc_type == doc_type)
    with resources() as built, built.read_db() as session:
        rows = [_row(d) for d in session.execute(query).scalars().all()]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "file", "status", "type", "pages", "uploaded")
    for row in rows:
        table.add_row(
            row["id"],
            row["filename"],
            row["status"],
            row["doc_type"] or "",
            str(row["pages"] or ""),
            row["created_at"][:19],
        )
    console.print(table)


@app.command()
def extract(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One document.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the stable JSON shape.")] = False,
) -> None:
    """Run the whole reading pipeline on one file in the foreground (no server, nothing stored).

    JSON: {doc_type, doc_type_confidence, pages: [{number, quality, mean_confidence}],
    fields: {NAME: {value, normalized, confidence, evidence: {page, bbox, ocr_confidence}}},
    line_items, warnings}.
    """
    settings = state.settings
    configure_logging(settings.model_copy(update={"log_level": "WARNING", "log_format": "console"}))
    try:
        with err_console.status(f"reading {path.name}"):
            result = extract_file(path, settings)
    except CaredeskError as exc:
        raise fail(exc.reason) from None
    shape = result.extract_json()
    if as_json:
        print_json(shape)
        return
    console.print(
        f"[bold]{shape['doc_type']}[/bold] ({shape['doc_type_confidence']:.2f}), "
        f"{len(shape['pages'])} page(s)"
    )
    table = Table("field", "value", "normalized", "confidence", "page")
    for name, field in shape["fields"].items():
        evidence = field["evidence"] or {}
        table.add_row(
            name,
            str(field["value"])[:60],
            str(field["normalized"])[:40],
            f"{field['confidence']:.2f}",
            str(evidence.get("page", "")),
        )
    console.print(table)
    for warning in shape["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
