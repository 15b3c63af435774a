"""`caredesk ask`: one grounded answer with citations, from this installation's data."""

from __future__ import annotations

from typing import Annotated

import typer

from caredesk.api.resources import Resources
from caredesk.api.routers.copilot import StoredCaseRecords
from caredesk.cli.app import app, console, err_console, fail, print_json, resources
from caredesk.cli.kb import check_payer, parse_day
from caredesk.cli.users import CLI_ACTOR
from caredesk.copilot import Answer, Question
from caredesk.copilot.threads import audit_answer
from caredesk.domain.errors import CaredeskError, InputRejected
from caredesk.storage.db import transaction


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    payer: Annotated[str | None, typer.Option(help="Payer id, name or alias.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of service (YYYY-MM-DD); default today.")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Ground the answer in this case.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question from the knowledge base (and a case), citing exact sections.

    Uses the configured engine (CAREDESK_LLM; the offline engine by default) and falls back
    to the offline engine when the model fails. The knowledge base is brought up to date
    (incrementally) first.
    """
    day = parse_day(as_of)
    try:
        asked = Question(question=question, payer=payer, as_of=day, case_id=case)
    except ValueError:
        raise fail("the question is empty", 2) from None
    with resources() as built:
        _refresh_kb(built)
        check_payer(built.kb, payer)
        try:
            answer = built.copilot.ask(asked, StoredCaseRecords(built))
        except InputRejected as error:
            raise fail(error.reason, 2) from None
        with transaction(built.db) as session:
            audit_answer(session, CLI_ACTOR, answer, case_id=case)
    if as_json:
        print_json(answer.cli_json())
        return
    _print(answer)


def _refresh_kb(built: Resources) -> None:
    """Load the knowledge base when its index is empty or behind the folder (incremental)."""
    folder = built.settings.kb_path
    if not folder.is_dir():
        if built.kb.status().chunks == 0:
            raise fail(f"no knowledge base loaded and no folder at {folder}", 2)
        return  # answer from what was loaded before
    try:
        with err_console.status("loading the knowledge base…"):
            built.kb.load(folder)
    except CaredeskError as error:
        err_console.print(f"[yellow]knowledge base not refreshed:[/yellow] {error.reason}")


def _print(answer: Answer) -> None:
    console.print(answer.answer, markup=False, highlight=False)
    title = "Closest sources:" if answer.abstained else "Sources:"
    if answer.citations:
        console.print(f"\n[bold]{title}[/bold]")
    for citation in answer.citations:
        console.print(
            f"  [{citation.n}] {citation.doc_id}@{citation.version} § {citation.section}",
            markup=False,
        )
        console.print(f'      "{" ".join(citation.quote.split())}"', markup=False, highlight=False)
    note = f"engine {answer.engine}, prompt {answer.prompt}, confidence {answer.confidence:.2f}"
    err_console.print(f"\n[dim]{note}[/dim]")
    if answer.fallback_reason:
        err_console.print(f"[yellow]the language model failed ({answer.fallback_reason}); "
                          "the offline engine answered[/yellow]")  # fmt: skip
