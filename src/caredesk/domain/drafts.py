"""Drafts and their sign-off state machine: nothing is sent that a person has not approved."""

from __future__ import annotations

import difflib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from caredesk.domain.errors import Conflict
from caredesk.domain.roles import Role


class DraftKind(StrEnum):
    PACKET = "packet"
    COVER_LETTER = "cover_letter"
    MEDICAL_NECESSITY = "medical_necessity"
    PROVIDER_REQUEST = "provider_request"
    PATIENT_NOTICE = "patient_notice"


class Audience(StrEnum):
    """Who will read a draft; decides which case fields it may carry (see disclosure)."""

    PAYER = "payer"
    ORDERING_PROVIDER = "ordering_provider"
    PATIENT = "patient"
    INTERNAL = "internal"


# Which audiences each kind of draft may be written for.
AUDIENCES_BY_KIND: dict[DraftKind, frozenset[Audience]] = {
    DraftKind.PACKET: frozenset({Audience.PAYER, Audience.INTERNAL}),
    DraftKind.COVER_LETTER: frozenset({Audience.PAYER, Audience.INTERNAL}),
    DraftKind.MEDICAL_NECESSITY: frozenset({Audience.PAYER, Audience.INTERNAL}),
    DraftKind.PROVIDER_REQUEST: frozenset({Audience.ORDERING_PROVIDER, Audience.INTERNAL}),
    DraftKind.PATIENT_NOTICE: frozenset({Audience.PATIENT, Audience.INTERNAL}),
}


# Who may do what with a draft. Coordinators work cases: they edit drafts and send approved
# ones. Reviewers (compliance) sign off. Admins may do both, and four eyes still applies.
DRAFT_EDITORS: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})
DRAFT_APPROVERS: frozenset[Role] = frozenset({Role.REVIEWER, Role.ADMIN})
DRAFT_SENDERS: frozenset[Role] = frozenset({Role.COORDINATOR, Role.ADMIN})


class DraftState(StrEnum):
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    SENT = "sent"


TRANSITIONS: dict[DraftState, frozenset[DraftState]] = {
    DraftState.PENDING_REVIEW: frozenset(
        {DraftState.APPROVED, DraftState.CHANGES_REQUESTED, DraftState.REJECTED}
    ),
    DraftState.CHANGES_REQUESTED: frozenset({DraftState.PENDING_REVIEW}),
    DraftState.APPROVED: frozenset({DraftState.SENT}),
    DraftState.REJECTED: frozenset(),
    DraftState.SENT: frozenset(),
}


class DraftAction(StrEnum):
    EDIT = "edit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    SEND = "send"


# What each action does from each state it is allowed in. An edit of a pending draft is a
# new version in the same state; every other entry is a TRANSITIONS edge.
ACTIONS: dict[DraftAction, dict[DraftState, DraftState]] = {
    DraftAction.EDIT: {
        DraftState.PENDING_REVIEW: DraftState.PENDING_REVIEW,
        DraftState.CHANGES_REQUESTED: DraftState.PENDING_REVIEW,
    },
    DraftAction.APPROVE: {DraftState.PENDING_REVIEW: DraftState.APPROVED},
    DraftAction.REQUEST_CHANGES: {DraftState.PENDING_REVIEW: DraftState.CHANGES_REQUESTED},
    DraftAction.REJECT: {DraftState.PENDING_REVIEW: DraftState.REJECTED},
    DraftAction.SEND: {DraftState.APPROVED: DraftState.SENT},
}


_VERBS = {
    DraftAction.EDIT: "edit",
    DraftAction.APPROVE: "approve",
    DraftAction.REQUEST_CHANGES: "request changes on",
    DraftAction.REJECT: "reject",
    DraftAction.SEND: "send",
}


def next_state(state: DraftState, action: DraftAction) -> DraftState:
    """The state `action` leads to from `state`, or Conflict saying why it is not allowed."""
    allowed = ACTIONS[action]
    if state not in allowed:
        need = " or ".join(sorted(s.value for s in allowed))
        raise Conflict(
            f"cannot {_VERBS[action]} a draft that is {state.value} (it must be {need})",
            state=state.value,
            action=action.value,
        )
    return allowed[state]


class Provenance(BaseModel):
    """Where generated text came from: prompt id@version, engine, model, sources, confidence."""

    model_config = ConfigDict(frozen=True)

    prompt: str = Field("", description="Prompt template as `id@version`; empty for human text")
    engine: str = Field("human", description="offline | openai | local | human")
    model: str = ""
    source_ids: tuple[str, ...] = ()
    confidence: float = Field(1.0, ge=0, le=1)
    run_id: str | None = None

    def audit_details(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "engine": self.engine,
            "model": self.model,
            "source_ids": list(self.source_ids),
            "confidence": round(self.confidence, 4),
            "run_id": self.run_id,
        }


HUMAN = Provenance()


class DraftVersion(BaseModel):
    """One saved text of a draft, the diff from the version before, and who wrote it."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(ge=1)
    content: str
    diff: str = ""
    fields_used: tuple[str, ...] = ()
    author: str
    created_at: datetime


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Review(BaseModel):
    """A person's decision on one version of a draft."""

    model_config = ConfigDict(frozen=True)

    decision: ReviewDecision
    reason: str = ""
    reviewer: str
    draft_version: int
    created_at: datetime


class Draft(BaseModel):
    """A generated (or hand-written) artifact awaiting, or past, human sign-off."""

    model_config = ConfigDict(frozen=True)

    id: str
    case_id: str
    kind: DraftKind
    audience: Audience
    state: DraftState
    version: int = Field(ge=1, description="Changes with every change; send it back to edit")
    text_version: int = Field(1, ge=1, description="Number of the current text")
    content: str
    fields_used: tuple[str, ...] = ()
    provenance: Provenance = HUMAN
    flagged: bool = False
    reasons: tuple[str, ...] = ()
    created_by: str
    created_at: datetime
    updated_at: datetime
    versions: tuple[DraftVersion, ...] = ()
    reviews: tuple[Review, ...] = ()

    @property
    def authors(self) -> set[str]:
        """Everyone who generated or edited the text: none of them may approve it."""
        return {self.created_by, *(v.author for v in self.versions)}


def unified_diff(before: str, after: str, from_version: int, to_version: int) -> str:
    """The change between two versions as a unified diff of lines."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"v{from_version}",
            tofile=f"v{to_version}",
        )
    )


__all__ = [
    "ACTIONS",
    "AUDIENCES_BY_KIND",
    "DRAFT_APPROVERS",
    "DRAFT_EDITORS",
    "DRAFT_SENDERS",
    "HUMAN",
    "TRANSITIONS",
    "Audience",
    "Draft",
    "DraftAction",
    "DraftKind",
    "DraftState",
    "DraftVersion",
    "Provenance",
    "Review",
    "ReviewDecision",
    "next_state",
    "unified_diff",
]
