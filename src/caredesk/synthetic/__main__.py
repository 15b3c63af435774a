"""Command line: `python -m caredesk.synthetic --out DIR --count N --seed S [--fax-share 0.5]`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caredesk.synthetic.corpus import FORMATS, generate_corpus

app = typer.Typer(add_completion=False, help="Generate the synthetic PA document corpus.")


@app.command()
def main(
    out: Path = typer.Option(
        ...,
        "--out",
        help="Folder for the documents, truth files and manifest.jsonl (created if missing).",
    ),
    count: int = typer.Option(200, "--count", min=1, help="How many documents to generate."),
    seed: int = typer.Option(7, "--seed", help="Same seed, byte-identical corpus."),
    fax_share: float = typer.Option(
        0.5, "--fax-share", min=0.0, max=1.0, help="Share of documents degraded as faxes or scans."
    ),
    formats: str = typer.Option(
        ",".join(FORMATS), "--formats", help="Comma-separated file formats to draw from."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes generating in parallel."),
) -> None:
    """Write COUNT fictional referrals, PA forms, invoices, letters and notes with ground truth."""
    chosen = [name.strip() for name in formats.split(",") if name.strip()]
    console = Console(stderr=True)
    started = time.perf_counter()
    columns = (TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("corpus", total=count)
        generate_corpus(
            out,
            count,
            seed,
            fax_share=fax_share,
            formats=chosen,
            workers=workers,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    elapsed = time.perf_counter() - started
    console.print(f"{count} documents in {elapsed:.1f} s ({elapsed / count:.2f} s each) → {out}")


if __name__ == "__main__":
    app()
