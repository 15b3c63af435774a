"""`caredesk case run`: the packet-assembly agent on one case, in the foreground."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.cli.app import console, err_console, print_json, resources
from caredesk.cli.ask import _refresh_kb
from caredesk.cli.cases import case_app
from caredesk.cli.users import CLI_ACTOR

_STYLE = {"met": "green", "missing": "red", "unclear": "yellow"}


@case_app.command("run")
def case_run(
    case_id: Annotated[str, typer.Argument(help="The case id (case_...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run the agent on a case: is PA required, the payer's checklist with evidence, drafts
    of the summary, cover letter and outreach, and the routing (ready or review, and why).

    Uses CAREDESK_LLM (the offline engine by default), bounded by CAREDESK_AGENT_MAX_*. The
    drafts wait for a person's approval; you ran the agent, so another person must approve.
    """
    with resources() as built:
        _refresh_kb(built)
        deps = built.agent_deps()
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"))
        with Progress(*columns, console=err_console, transient=True, disable=as_json) as bar:
            task = bar.add_task("starting", total=None)

            def report(node: str, done: int, total: int) -> None:
                bar.update(task, description=node, completed=done, total=total)

            run = start_and_run(deps, case_id, CLI_ACTOR, report)
        with built.read_db() as session:
            result = result_json(session, run.id)
    if as_json:
        print_json(result)
        return
    _print(result)


def _print(result: dict[str, Any]) -> None:
    table = Table("item", "status", "evidence", "why")
    for item in result["checklist"]:
        places = dict.fromkeys(f"{e['document_id']} p.{e['page']}" for e in item["evidence"])
        where = ", ".join(list(places)[:2])
        status = item["status"]
        table.add_row(item["id"], f"[{_STYLE[status]}]{status}[/]", where, item["rationale"][:90])
    console.print(table)
    for draft in result["drafts"]:
        flag = "[yellow]flagged[/]" if draft["flagged"] else "ready for approval"
        console.print(f"draft {draft['id']}: {draft['kind']} for {draft['audience']} ({flag})")
    routing = result["routing"]
    console.print(f"[bold]route: {routing['route']}[/bold] (confidence {result['confidence']})")
    for reason in routing["reasons"]:
        console.print(f"  - {reason}", markup=False)
    if result["status"] == "budget_exceeded":
        err_console.print(f"[yellow]the run stopped at a bound:[/yellow] {result['error']}")
    used = result["budget"]["used"]
    err_console.print(
        f"[dim]run {result['run_id']}, engine {result['engine']}, {used['steps']} steps, "
        f"{used['llm_calls']} LLM calls, {used['tokens']} tokens, {used['seconds']} s[/dim]"
    )
