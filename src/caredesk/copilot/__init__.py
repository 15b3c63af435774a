"""Grounded question answering over the knowledge base and a case's documents."""

from caredesk.copilot.answers import (
    ABSTAIN_TEXT,
    OFFLINE_PROMPT,
    Answer,
    AnswerSentence,
    Citation,
    Question,
    Source,
    SourceKind,
    SupportKind,
)
from caredesk.copilot.cases import CaseDocumentText, CaseRecords, needed_facts
from caredesk.copilot.embedder import LazyEmbedder
from caredesk.copilot.service import Copilot, CopilotEvent, Prepared

__all__ = [
    "ABSTAIN_TEXT",
    "OFFLINE_PROMPT",
    "Answer",
    "AnswerSentence",
    "CaseDocumentText",
    "CaseRecords",
    "Citation",
    "Copilot",
    "CopilotEvent",
    "LazyEmbedder",
    "Prepared",
    "Question",
    "Source",
    "SourceKind",
    "SupportKind",
    "needed_facts",
]
