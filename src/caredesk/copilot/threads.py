"""Conversations: threads per user, each turn stored with its citations and provenance, and
every generation audited (ids and numbers only, never question or answer text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from caredesk.audit.log import Actor, record
from caredesk.copilot.answers import Answer, Question
from caredesk.domain.errors import NotFound
from caredesk.domain.roles import Role, may_read_thread
from caredesk.storage.db import transaction
from caredesk.storage.models import CopilotMessage, CopilotThread, new_id, utcnow

AUDIT_ACTION = "copilot.answer"
TITLE_CHARS = 80


@dataclass(frozen=True)
class Turn:
    """Where one question and answer were stored."""

    thread_id: str
    message_id: str


def audit_details(answer: Answer, **context: Any) -> dict[str, Any]:
    """What the audit log keeps about a generation: how it was made, from which sources."""
    details: dict[str, Any] = {
        "prompt": answer.prompt,
        "engine": answer.engine,
        "model": answer.model,
        "sources": [source.key for source in answer.sources],
        "cited": [f"{c.doc_id}@{c.version}#{c.start}-{c.end}" for c in answer.citations],
        "confidence": answer.confidence,
        "abstained": answer.abstained,
        "dropped_sentences": answer.dropped_sentences,
    }
    if answer.fallback_reason:
        details["fallback"] = True
    return details | {key: value for key, value in context.items() if value is not None}


def audit_answer(session: Session, actor: Actor, answer: Answer, **context: Any) -> str:
    """Audit one generation that is not stored in a thread (the CLI); returns its id."""
    answer_id = new_id("ans")
    record(
        session, actor, AUDIT_ACTION, "copilot_answer", answer_id, audit_details(answer, **context)
    )
    return answer_id


def ensure_writable(read_db: sessionmaker[Session], thread_id: str, user_id: str) -> None:
    """Only a thread's owner may add to it; anyone else is told it does not exist."""
    with read_db() as session:
        thread = session.get(CopilotThread, thread_id)
    if thread is None or thread.owner_id != user_id:
        raise NotFound("No such thread.", thread_id=thread_id)


def store_turn(
    db: sessionmaker[Session],
    actor: Actor,
    question: Question,
    answer: Answer,
    thread_id: str | None = None,
) -> Turn:
    """Store the question and the answer in the caller's thread (a new one when none) and
    audit the generation, all in one transaction."""
    with transaction(db) as session:
        thread = _thread(session, actor, question, thread_id)
        context = question.model_dump(mode="json", exclude={"question"}, exclude_none=True)
        _message(session, thread, role="user", text=question.question, context=context)
        reply = _message(
            session, thread, role="assistant", text=answer.answer,
            citations=[c.model_dump(mode="json") for c in answer.citations],
            engine=answer.engine, model=answer.model or None, prompt_ref=answer.prompt,
            confidence=answer.confidence, abstained=answer.abstained,
        )  # fmt: skip
        thread.updated_at = utcnow()
        session.flush()
        details = audit_details(answer, thread_id=thread.id, case_id=question.case_id)
        record(session, actor, AUDIT_ACTION, "copilot_message", reply.id, details)
        return Turn(thread.id, reply.id)


def _thread(
    session: Session, actor: Actor, question: Question, thread_id: str | None
) -> CopilotThread:
    if thread_id is not None:
        thread = session.get(CopilotThread, thread_id)
        if thread is None or thread.owner_id != actor.id:
            raise NotFound("No such thread.", thread_id=thread_id)
        return thread
    title = " ".join(question.question.split())[:TITLE_CHARS]
    thread = CopilotThread(owner_id=actor.id, title=title, case_id=question.case_id)
    session.add(thread)
    session.flush()
    return thread


def _message(session: Session, thread: CopilotThread, **values: Any) -> CopilotMessage:
    seq = session.execute(
        select(func.coalesce(func.max(CopilotMessage.seq), 0)).where(
            CopilotMessage.thread_id == thread.id
        )
    ).scalar_one()
    message = CopilotMessage(thread_id=thread.id, seq=seq + 1, **values)
    session.add(message)
    thread.message_count = seq + 1
    session.flush()
    return message


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadSummary:
    id: str
    title: str
    case_id: str | None
    message_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ThreadMessage:
    id: str
    seq: int
    role: str
    text: str
    context: dict[str, Any]
    citations: list[dict[str, Any]]
    engine: str | None
    model: str | None
    prompt: str | None
    confidence: float | None
    abstained: bool | None
    created_at: datetime


def list_threads(
    read_db: sessionmaker[Session], owner_id: str, limit: int = 50
) -> list[ThreadSummary]:
    """The caller's own threads, most recently active first."""
    query = (
        select(CopilotThread)
        .where(CopilotThread.owner_id == owner_id)
        .order_by(CopilotThread.updated_at.desc(), CopilotThread.id)
        .limit(limit)
    )
    with read_db() as session:
        return [_summary(row) for row in session.execute(query).scalars()]


def read_thread(
    read_db: sessionmaker[Session], thread_id: str, user_id: str, role: Role
) -> tuple[ThreadSummary, list[ThreadMessage]]:
    """One thread with its messages; NotFound for anyone who may not read it."""
    with read_db() as session:
        thread = session.get(CopilotThread, thread_id)
        if thread is None or not may_read_thread(user_id, role, thread.owner_id):
            raise NotFound("No such thread.", thread_id=thread_id)
        rows = session.execute(
            select(CopilotMessage)
            .where(CopilotMessage.thread_id == thread_id)
            .order_by(CopilotMessage.seq)
        ).scalars()
        return _summary(thread), [_message_out(row) for row in rows]


def _summary(row: CopilotThread) -> ThreadSummary:
    return ThreadSummary(
        row.id, row.title, row.case_id, row.message_count, row.created_at, row.updated_at
    )


def _message_out(row: CopilotMessage) -> ThreadMessage:
    return ThreadMessage(
        id=row.id, seq=row.seq, role=row.role, text=row.text, context=dict(row.context or {}),
        citations=list(row.citations or []), engine=row.engine, model=row.model,
        prompt=row.prompt_ref, confidence=row.confidence, abstained=row.abstained,
        created_at=row.created_at,
    )  # fmt: skip
