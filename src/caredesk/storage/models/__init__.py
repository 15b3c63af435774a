"""All tables; importing this package registers every model on `Base.metadata`."""

from caredesk.storage.models.accounts import ApiToken, LoginAttempt, User, WebSession
from caredesk.storage.models.audit import AuditEvent, AuditHead
from caredesk.storage.models.base import Base, new_id, utcnow
from caredesk.storage.models.documents import Document
from caredesk.storage.models.jobs import Job

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Document",
    "Job",
    "LoginAttempt",
    "User",
    "WebSession",
    "new_id",
    "utcnow",
]
