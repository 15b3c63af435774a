"""Copilot answers as pages show them: text with citation links, sources, engine notes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from caredesk.copilot.threads import ThreadMessage

MARKER = re.compile(r"\[(\d+)\]")
PAGE_SECTION = re.compile(r"page (\d+)")


def citation_url(citation: Mapping[str, Any]) -> str | None:
    """Where a citation opens: the knowledge-base section with the quote marked, or the case
    document's page with the quoted words highlighted."""
    kind, doc_id = citation.get("kind", "kb"), citation.get("doc_id", "")
    span = {"start": citation.get("start", 0), "end": citation.get("end", 0)}
    if kind == "kb" and doc_id:
        query = urlencode({"version": citation.get("version", ""), **span})
        return f"/kb/{doc_id}?{query}#quote"
    page = PAGE_SECTION.fullmatch(str(citation.get("section", "")))
    if kind == "case_document" and doc_id and page:
        query = urlencode({"page": page.group(1), **span, "label": "quoted passage"})
        return f"/documents/{doc_id}?{query}#page-view"
    return None


@dataclass(frozen=True)
class CitationView:
    n: int
    kind: str
    doc_id: str
    version: str
    section: str
    quote: str
    url: str | None


@dataclass(frozen=True)
class AnswerPart:
    """A run of answer text, or one citation marker (`n` set) with where it leads."""

    text: str
    n: int | None = None
    url: str | None = None
    section: str = ""


@dataclass(frozen=True)
class AnswerView:
    question: str
    parts: tuple[AnswerPart, ...]
    citations: tuple[CitationView, ...]
    engine: str
    model: str
    prompt: str
    confidence: float
    abstained: bool
    fallback_reason: str = ""
    thread_id: str = ""
    message_id: str = ""

    @property
    def fallback(self) -> bool:
        return self.engine.endswith("fallback")


def _citation(raw: Mapping[str, Any]) -> CitationView:
    return CitationView(
        n=int(raw["n"]),
        kind=str(raw.get("kind", "kb")),
        doc_id=str(raw.get("doc_id", "")),
        version=str(raw.get("version", "")),
        section=str(raw.get("section", "")),
        quote=str(raw.get("quote", "")),
        url=citation_url(raw),
    )


def _parts(text: str, citations: Sequence[CitationView]) -> tuple[AnswerPart, ...]:
    by_n = {citation.n: citation for citation in citations}
    parts: list[AnswerPart] = []
    position = 0
    for match in MARKER.finditer(text):
        cited = by_n.get(int(match.group(1)))
        if cited is None:
            continue  # a bracketed number that is not a citation stays text
        parts.append(AnswerPart(text[position : match.start()]))
        parts.append(AnswerPart(match.group(0), cited.n, cited.url, cited.section))
        position = match.end()
    parts.append(AnswerPart(text[position:]))
    return tuple(part for part in parts if part.text)


def answer_view(
    question: str, answer: Mapping[str, Any], thread_id: str = "", message_id: str = ""
) -> AnswerView:
    """From the API's answer object (`answer`, `citations`, `engine`, ...) or a stored thread
    message turned into the same keys (see `message_answer`)."""
    citations = tuple(_citation(raw) for raw in answer.get("citations") or ())
    return AnswerView(
        question=question,
        parts=_parts(str(answer.get("answer", "")), citations),
        citations=citations,
        engine=str(answer.get("engine") or ""),
        model=str(answer.get("model") or ""),
        prompt=str(answer.get("prompt") or ""),
        confidence=float(answer.get("confidence") or 0.0),
        abstained=bool(answer.get("abstained")),
        fallback_reason=str(answer.get("fallback_reason") or ""),
        thread_id=thread_id or str(answer.get("thread_id") or ""),
        message_id=message_id or str(answer.get("message_id") or ""),
    )


def message_answer(question: str, message: ThreadMessage, thread_id: str) -> AnswerView:
    """A stored assistant message of a thread as an answer view."""
    stored = {
        "answer": message.text,
        "citations": message.citations,
        "engine": message.engine,
        "model": message.model,
        "prompt": message.prompt,
        "confidence": message.confidence,
        "abstained": message.abstained,
    }
    return answer_view(question, stored, thread_id, message.id)


def conversation(messages: Sequence[ThreadMessage], thread_id: str) -> list[AnswerView]:
    """A thread's question/answer turns, in order."""
    turns: list[AnswerView] = []
    question = ""
    for message in messages:
        if message.role == "user":
            question = message.text
        else:
            turns.append(message_answer(question, message, thread_id))
    return turns
