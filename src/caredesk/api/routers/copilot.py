"""The copilot: ask (JSON or server-sent events) and read your threads.

Coordinators and up may ask. A thread belongs to the user who started it; others get 404
(admins may read any thread for support). Every answer is audited as `copilot.answer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.resources import Resources
from caredesk.copilot import Answer, CaseDocumentText, CopilotEvent, Question
from caredesk.copilot.answers import MAX_QUESTION_CHARS, Citation, SupportKind
from caredesk.copilot.threads import (
    ThreadMessage,
    ThreadSummary,
    Turn,
    ensure_writable,
    list_threads,
    read_thread,
    store_turn,
)
from caredesk.domain.cases import Case
from caredesk.domain.errors import CaredeskError
from caredesk.domain.roles import CASE_WORKERS
from caredesk.ingest.store import load_pages
from caredesk.worklist.records import load_case

router = APIRouter(prefix="/copilot", tags=["copilot"])
log = structlog.get_logger(__name__)

MAX_CASE_PAGES = 30  # pages per document read for snippets; beyond that a packet is unusual


class StoredCaseRecords:
    """`CaseRecords` over this installation's storage: cases from the worklist, document
    text from the pages ingestion stored. Only the case asked about is read."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    def case(self, case_id: str) -> Case:
        with self._resources.read_db() as session:
            return load_case(session, case_id)

    def document_text(self, case: Case) -> list[CaseDocumentText]:
        found: list[CaseDocumentText] = []
        with self._resources.read_db() as session:
            for document_id in case.document_ids:
                for page in load_pages(session, document_id)[:MAX_CASE_PAGES]:
                    if page.text.strip():
                        found.append(CaseDocumentText(document_id, page.number, page.text))
        return found


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    thread_id: str | None = Field(None, description="Continue this thread (yours); new if empty")
    case_id: str | None = Field(None, description="Ground the answer in this case too")
    payer: str | None = Field(None, description="Payer id, name or alias")
    as_of: date | None = Field(None, description="Date of service the rules apply on (today)")

    def as_question(self) -> Question:
        return Question(
            question=self.question, case_id=self.case_id, payer=self.payer, as_of=self.as_of
        )


class CitationOut(BaseModel):
    n: int
    kind: str = Field(description="kb | case_document")
    doc_id: str
    version: str
    section: str
    quote: str = Field(description="Exactly the source text between start and end")
    start: int
    end: int


class SentenceOut(BaseModel):
    text: str
    citations: list[int]
    support: SupportKind


class AnswerOut(BaseModel):
    answer: str
    abstained: bool
    confidence: float
    engine: str = Field(description="offline | offline-fallback | openai | local")
    model: str
    prompt: str = Field(description="Prompt id@version (the offline composer's own for offline)")
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    dropped_sentences: int
    fallback_reason: str
    thread_id: str
    message_id: str


@dataclass(frozen=True)
class ThreadDetail(ThreadSummary):
    """A thread with its messages in order (the service's own records, as they are)."""

    messages: list[ThreadMessage]


def answer_out(answer: Answer, turn: Turn) -> dict[str, Any]:
    return {
        "answer": answer.answer,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "engine": answer.engine,
        "model": answer.model,
        "prompt": answer.prompt,
        "citations": [_citation(c) for c in answer.citations],
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "support": s.support}
            for s in answer.sentences
        ],
        "dropped_sentences": answer.dropped_sentences,
        "fallback_reason": answer.fallback_reason,
        "thread_id": turn.thread_id,
        "message_id": turn.message_id,
    }


def _citation(citation: Citation) -> dict[str, Any]:
    return citation.model_dump(mode="json")


@router.post(
    "/ask",
    dependencies=[allow(CASE_WORKERS)],
    response_model=AnswerOut,
    summary="Ask the copilot",
    responses={
        404: {"description": "The thread or case does not exist (or is not yours)"},
        422: {"description": "Empty question, unknown payer or a bad date"},
    },
)
def ask(body: AskIn, resources: ResourcesDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """A grounded answer with citations, stored in your thread and audited."""
    if body.thread_id:
        ensure_writable(resources.read_db, body.thread_id, principal.user_id)
    question = body.as_question()
    answer = resources.copilot.ask(question, StoredCaseRecords(resources))
    turn = store_turn(resources.db, principal.actor, question, answer, body.thread_id)
    return answer_out(answer, turn)


@router.post(
    "/ask/stream",
    dependencies=[allow(CASE_WORKERS)],
    summary="Ask the copilot, answer streamed as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`token` events (text as sentences are verified), `reset` (discard "
            "the text so far: the model failed and the offline engine answers), then one "
            "`answer` event with the full answer object; `error` on failure.",
            "content": {"text/event-stream": {}},
        }
    },
)
def ask_stream(
    body: AskIn, resources: ResourcesDep, principal: CurrentPrincipal
) -> StreamingResponse:
    """The same answer as `POST /ask`, sentence by sentence."""
    if body.thread_id:
        ensure_writable(resources.read_db, body.thread_id, principal.user_id)
    question = body.as_question()
    # Errors in the question (payer, case) answer with a status code before the stream opens.
    prepared = resources.copilot.prepare(question, StoredCaseRecords(resources))

    def events() -> Iterator[str]:
        try:
            for event in resources.copilot.stream(prepared):
                yield _event(event, resources, principal, question, body.thread_id)
        except CaredeskError as error:
            yield _sse("error", {"error": error.code, "reason": error.reason})
        except Exception:  # the stream is open: the client must hear of any failure
            log.exception("copilot.stream_failed")
            yield _sse("error", {"error": "error", "reason": "the answer could not be completed"})

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _event(
    event: CopilotEvent,
    resources: Resources,
    principal: CurrentPrincipal,
    question: Question,
    thread_id: str | None,
) -> str:
    if event.kind == "answer" and event.answer is not None:
        turn = store_turn(resources.db, principal.actor, question, event.answer, thread_id)
        return _sse("answer", answer_out(event.answer, turn))
    return _sse(event.kind, {"text": event.text})


def _sse(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


@router.get(
    "/threads",
    dependencies=[allow(CASE_WORKERS)],
    response_model=list[ThreadSummary],
    summary="Your copilot threads",
)
def threads(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ThreadSummary]:
    """Your threads, most recently active first."""
    return list_threads(resources.read_db, principal.user_id, limit)


@router.get(
    "/threads/{thread_id}",
    dependencies=[allow(CASE_WORKERS)],
    response_model=ThreadDetail,
    summary="One thread with its messages",
    responses={404: {"description": "No such thread, or not yours"}},
)
def thread(thread_id: str, resources: ResourcesDep, principal: CurrentPrincipal) -> ThreadDetail:
    """Questions and answers in order, with citations, engine, prompt and confidence."""
    summary, messages = read_thread(resources.read_db, thread_id, principal.user_id, principal.role)
    return ThreadDetail(**vars(summary), messages=messages)


__all__ = ["StoredCaseRecords", "router"]
