"""The copilot page (answers streamed by static/js/copilot.js), one answer, and a cited
knowledge-base section with the quote highlighted."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.routers.copilot import AskIn, ask
from caredesk.copilot.threads import list_threads, read_thread
from caredesk.domain.errors import InputRejected, NotFound
from caredesk.domain.knowledge import KbDocument
from caredesk.domain.roles import CASE_WORKERS
from caredesk.web.answers import AnswerView, answer_view, conversation
from caredesk.web.kb_markdown import render_body
from caredesk.web.rendering import render

router = APIRouter()

RECENT_THREADS = 12


def _page(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    *,
    turns: list[AnswerView],
    thread_id: str = "",
    case_id: str = "",
) -> Response:
    context = {
        "turns": turns,
        "thread_id": thread_id,
        "case_id": case_id,
        "threads": list_threads(resources.read_db, principal.user_id, RECENT_THREADS),
        "payers": resources.kb.payers(),
        "engine": resources.copilot.engine,
    }
    return render(request, "copilot/page.html", context)


@router.get("/copilot", dependencies=[allow(CASE_WORKERS)], summary="Copilot")
def copilot(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    thread: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Ask about payer rules; answers cite the knowledge base. `?thread=` shows one of your
    earlier conversations and continues it."""
    turns: list[AnswerView] = []
    if thread:
        _, messages = read_thread(resources.read_db, thread, principal.user_id, principal.role)
        turns = conversation(messages, thread)
    return _page(request, resources, principal, turns=turns, thread_id=thread)


def _as_of(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputRejected(
            f"date of service must be a date such as 2026-03-01, got {value!r}"
        ) from None


@router.post("/copilot", dependencies=[allow(CASE_WORKERS)], summary="Ask (form)")
def ask_form(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    question: Annotated[str, Form(min_length=1, max_length=2000)],
    case_id: Annotated[str, Form(max_length=64)] = "",
    payer: Annotated[str, Form(max_length=128)] = "",
    as_of: Annotated[str, Form(max_length=10)] = "",
    thread_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The same answer without JavaScript: asked in one request, shown in the page."""
    body = AskIn(
        question=question,
        case_id=case_id or None,
        payer=payer or None,
        as_of=_as_of(as_of),
        thread_id=thread_id or None,
    )
    answered = ask(body, resources, principal)
    view = answer_view(question, answered)
    return _page(
        request, resources, principal, turns=[view], thread_id=view.thread_id, case_id=case_id
    )


@router.get(
    "/copilot/threads/{thread_id}/messages/{message_id}",
    dependencies=[allow(CASE_WORKERS)],
    summary="One answer (fragment)",
)
def answer_fragment(
    request: Request,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    thread_id: str,
    message_id: str,
) -> Response:
    """A stored answer with its citation links and notes: the streamed answer's final form."""
    _, messages = read_thread(resources.read_db, thread_id, principal.user_id, principal.role)
    turn = next((t for t in conversation(messages, thread_id) if t.message_id == message_id), None)
    if turn is None:
        raise NotFound(f"no answer {message_id} in thread {thread_id}")
    return render(request, "copilot/_answer.html", {"answer": turn})


def _version(versions: list[KbDocument], wanted: str) -> KbDocument:
    for document in versions:
        if document.version == wanted:
            return document
    return versions[-1]


@router.get("/kb/{doc_id}", dependencies=[allow(CASE_WORKERS)], summary="Knowledge document")
def kb_document(
    request: Request,
    resources: ResourcesDep,
    doc_id: str,
    version: Annotated[str, Query(max_length=32)] = "",
    start: Annotated[int | None, Query(ge=0)] = None,
    end: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """A knowledge-base document version as people read it; `start`/`end` (a citation's
    offsets into the body) mark the quoted passage."""
    versions = resources.kb.get_document(doc_id)
    document = _version(versions, version)
    quoted = start is not None and end is not None and 0 <= start < end <= len(document.body)
    context = {
        "document": document,
        "meta": document.front_matter,
        "versions": versions,
        "requested_version": version,
        "quote": document.body[start:end] if quoted and start is not None else "",
        "body": render_body(document.body, start, end) if quoted else render_body(document.body),
    }
    return render(request, "kb/document.html", context)
