"""A draft as its reviewer sees it: text, versions, evidence, sources, and what each person may
do with it now (the four-eyes rule shown before the API would refuse)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.accounts.service import Principal
from caredesk.api.resources import Resources
from caredesk.domain.cases import Case
from caredesk.domain.drafts import (
    DRAFT_APPROVERS,
    DRAFT_EDITORS,
    DRAFT_SENDERS,
    Draft,
    DraftState,
)
from caredesk.domain.roles import AUDITORS
from caredesk.review.records import get_draft
from caredesk.storage.models import User
from caredesk.web.casework import (
    ChecklistRow,
    DocumentRow,
    case_documents,
    checklist_rows,
)
from caredesk.web.kb_markdown import slug
from caredesk.worklist.assessments import (
    RecordedAssessment,
    assessment_runners,
    latest_assessment,
)
from caredesk.worklist.records import load_case

FOUR_EYES = (
    "Four eyes: you generated this draft, ran the agent for its case or edited it, so another "
    "reviewer must approve it."
)
EDITABLE = frozenset({DraftState.PENDING_REVIEW, DraftState.CHANGES_REQUESTED})


@dataclass(frozen=True)
class SourceLink:
    """One of the draft's sources: a policy section or a case document."""

    ref: str
    url: str | None


def source_link(ref: str) -> SourceLink:
    """`doc@version#section` opens the knowledge base there; `doc_...` opens the document."""
    if ref.startswith("doc_"):
        return SourceLink(ref, f"/documents/{ref}")
    doc_version, _, section = ref.partition("#")
    doc_id, at, version = doc_version.partition("@")
    if not at or not doc_id:
        return SourceLink(ref, None)
    anchor = f"#{slug(section)}" if section else ""
    return SourceLink(ref, f"/kb/{doc_id}?{urlencode({'version': version})}{anchor}")


@dataclass(frozen=True)
class Permission:
    """Whether the signed-in person may do something now, and if not, why not."""

    allowed: bool
    reason: str = ""


def usernames(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted({user_id for user_id in ids if user_id})
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


@dataclass
class DraftPage:
    draft: Draft
    case: Case
    names: dict[str, str]
    authors: set[str]
    documents: list[DocumentRow]
    assessment: RecordedAssessment | None = None
    checklist: list[ChecklistRow] = field(default_factory=list)
    sources: list[SourceLink] = field(default_factory=list)
    edit: Permission = Permission(False)
    decide: Permission = Permission(False)
    send: Permission = Permission(False)
    can_audit: bool = False

    def name(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)


def _edit(draft: Draft, principal: Principal) -> Permission:
    if principal.role not in DRAFT_EDITORS:
        return Permission(False, "Coordinators edit drafts; reviewers approve them.")
    if draft.state not in EDITABLE:
        return Permission(False, f"The draft is {draft.state.value.replace('_', ' ')}.")
    return Permission(True)


def _decide(draft: Draft, principal: Principal, authors: set[str]) -> Permission:
    if principal.role not in DRAFT_APPROVERS:
        return Permission(False, "Only reviewers sign off drafts.")
    if draft.state is not DraftState.PENDING_REVIEW:
        return Permission(False, f"The draft is {draft.state.value.replace('_', ' ')}.")
    if principal.user_id in authors:
        return Permission(False, FOUR_EYES)
    return Permission(True)


def _send(draft: Draft, principal: Principal) -> Permission:
    if principal.role not in DRAFT_SENDERS:
        return Permission(False, "Coordinators send approved drafts.")
    if draft.state is not DraftState.APPROVED:
        return Permission(False, "Only an approved draft can be sent.")
    return Permission(True)


def draft_page(resources: Resources, principal: Principal, draft_id: str) -> DraftPage:
    with resources.read_db() as session:
        draft = get_draft(session, draft_id)
        authors = {*draft.authors, *assessment_runners(session, draft.case_id)}
        people = [*authors, *(review.reviewer for review in draft.reviews)]
        documents = case_documents(session, draft.case_id)
        page = DraftPage(
            draft=draft,
            case=load_case(session, draft.case_id),
            names=usernames(session, people),
            authors=authors,
            documents=documents,
            assessment=latest_assessment(session, draft.case_id),
        )
    filenames = {row.id: row.filename for row in documents}
    if page.assessment is not None:
        page.checklist = checklist_rows(page.assessment, filenames)
    page.sources = [source_link(ref) for ref in draft.provenance.source_ids]
    page.edit = _edit(draft, principal)
    page.decide = _decide(draft, principal, authors)
    page.send = _send(draft, principal)
    page.can_audit = principal.role in AUDITORS
    return page
