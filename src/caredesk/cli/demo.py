"""`caredesk demo`: seed demo people, synthetic faxes, cases and an agent run into an empty
data directory, and print the demo sign-ins once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from caredesk.cli.app import app, console, err_console, fail, resources, state
from caredesk.web.demo import DemoLogin, DemoOutcome, DemoRefused, DemoSeeder, seed_users


def print_logins(logins: list[DemoLogin]) -> None:
    """The demo sign-ins as a table; passwords appear here once and are not stored in clear."""
    table = Table("username", "role", "password", title="Demo sign-ins (shown once)")
    for login in logins:
        table.add_row(login.username, login.role.value, login.password or "(set before)")
    console.print(table)


def _print_outcome(outcome: DemoOutcome) -> None:
    console.print(
        f"{len(outcome.documents)} demo documents, {len(outcome.cases)} cases"
        + (f", agent run {outcome.run_id} {outcome.run_status}" if outcome.run_id else "")
        + f" in {outcome.seconds:g} s."
    )
    settings = state.settings
    console.print(
        f"Start caredesk with `caredesk serve` (or `make run`) and sign in at "
        f"http://{settings.host}:{settings.port} with one of the demo sign-ins."
    )


def _progress() -> Progress:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err_console, transient=True)


@app.command()
def demo(
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each stage (reading, the agent).")
    ] = 600.0,
) -> None:
    """Seed demo data: one person per role (random passwords, printed once), six synthetic
    faxed documents read by the real pipeline, cases opened from the referrals and one agent
    run. Everything is marked as demo data.

    Refuses (exit 2) a data directory that already holds real work:
    any user besides the first admin, any document or case that is not demo data.
    Running it again on demo data only fills in what is missing.
    """
    with resources() as built:
        try:
            logins = seed_users(built)
        except DemoRefused as refused:
            raise fail(refused.reason, 2) from None
        print_logins(logins)
        if built.settings.broker_url:
            err_console.print("[dim]jobs go to the broker: `caredesk worker` must be running[/]")
        built.start_workers()
        with _progress() as bar:
            task = bar.add_task("uploading", total=None)

            def report(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            outcome = DemoSeeder(built, timeout_s=timeout).run(report)
    _print_outcome(outcome)
