"""All tables; importing this package registers every model on `Base.metadata`."""

from caredesk.storage.models.accounts import ApiToken, LoginAttempt, User, WebSession
from caredesk.storage.models.agent import AgentRunRecord
from caredesk.storage.models.audit import AuditEvent, AuditHead
from caredesk.storage.models.base import Base, new_id, utcnow
from caredesk.storage.models.cases import (
    CaseDocument,
    CaseRecord,
    CaseValueRecord,
    ChecklistItemRecord,
    ChecklistRun,
    DraftRecord,
    DraftReview,
    DraftVersionRecord,
    OutboxMessage,
)
from caredesk.storage.models.copilot import CopilotMessage, CopilotThread
from caredesk.storage.models.documents import Document
from caredesk.storage.models.extraction import DocumentExtraction, DocumentField, DocumentPage
from caredesk.storage.models.jobs import Job

__all__ = [
    "AgentRunRecord",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "CaseDocument",
    "CaseRecord",
    "CaseValueRecord",
    "ChecklistItemRecord",
    "ChecklistRun",
    "CopilotMessage",
    "CopilotThread",
    "Document",
    "DocumentExtraction",
    "DocumentField",
    "DocumentPage",
    "DraftRecord",
    "DraftReview",
    "DraftVersionRecord",
    "Job",
    "LoginAttempt",
    "OutboxMessage",
    "User",
    "WebSession",
    "new_id",
    "utcnow",
]
