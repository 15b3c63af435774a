"""What the copilot is asked and what it answers: questions, sources, citations, answers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ABSTAIN_TEXT = "The knowledge base does not answer this."
OFFLINE_PROMPT = "copilot.offline@1"  # the offline composer's own id@version, audited like a prompt
ANSWER_PROMPT = "copilot.ask"
VERIFY_PROMPT = "copilot.verify"
MAX_QUESTION_CHARS = 2000


class SourceKind(StrEnum):
    """Where a numbered source comes from: the knowledge base or one case's records."""

    KB = "kb"
    CASE_DOCUMENT = "case_document"
    CASE_FACTS = "case_facts"


class Question(BaseModel):
    """One question as asked: text, and the optional case, payer and date it is about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    case_id: str | None = Field(None, max_length=64)
    payer: str | None = Field(None, max_length=128, description="Payer id, name or alias")
    as_of: date | None = Field(None, description="Date of service the rules apply on (today)")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()


class Source(BaseModel):
    """A numbered passage an answer may cite; `text == body[start:end]` of its document."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(ge=1)
    kind: SourceKind = SourceKind.KB
    doc_id: str
    version: str
    section: str
    title: str = ""
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    chunk_id: str | None = None
    score: float = 0.0

    @property
    def key(self) -> str:
        """What the audit log records for this source (ids only, never text)."""
        return self.chunk_id or f"{self.doc_id}@{self.version}#{self.start}-{self.end}"


class Citation(BaseModel):
    """One [n] of an answer: the document version, section and the exact quote with offsets."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(ge=1)
    kind: SourceKind = SourceKind.KB
    doc_id: str
    version: str
    section: str
    quote: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    def cli_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "version": self.version,
            "section": self.section,
            "quote": self.quote,
        }


class SupportKind(StrEnum):
    """Why a sentence counts as supported by what it cites."""

    QUOTE = "quote"  # the sentence is the cited text, verbatim
    FRONT_MATTER = "front_matter"  # a fact read from the cited document's structured header
    LEXICAL = "lexical"  # overlap and embedding similarity with the cited passage
    ENTAILMENT = "entailment"  # an LLM judged the passage to entail the sentence
    POLARITY = "polarity"  # a yes or no read off the wording of the quote it cites


class AnswerSentence(BaseModel):
    """One sentence of an answer with the citations that support it."""

    model_config = ConfigDict(frozen=True)

    text: str
    citations: tuple[int, ...]
    support: SupportKind
    score: float = Field(1.0, ge=0, le=1)

    def rendered(self) -> str:
        marks = "".join(f"[{n}]" for n in self.citations)
        return f"{self.text} {marks}".strip()


class Answer(BaseModel):
    """A grounded answer (or an abstention) with its citations, engine and confidence."""

    model_config = ConfigDict(frozen=True)

    answer: str
    abstained: bool
    confidence: float = Field(ge=0, le=1)
    engine: str
    model: str = ""
    prompt: str
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    dropped_sentences: int = Field(0, ge=0, description="Sentences removed by verification")
    fallback_reason: str = ""
    sources: list[Source] = Field(default_factory=list, exclude=True)

    def cli_json(self) -> dict[str, Any]:
        """The stable `caredesk ask --json` shape; other tools depend on it, keep it so."""
        return {
            "answer": self.answer,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 3),
            "engine": self.engine,
            "prompt": self.prompt,
            "citations": [citation.cli_json() for citation in self.citations],
        }


def render_answer(sentences: list[AnswerSentence]) -> str:
    return " ".join(sentence.rendered() for sentence in sentences)
