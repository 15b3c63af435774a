"""A PA packet's checklist: policy items, each assessed met/missing/unclear with cited evidence."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from caredesk.domain.documents import BoundingBox

ItemKind = Literal["clinical", "documentation", "administrative"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicySource(_Frozen):
    """The knowledge-base section an item comes from: document id, version and section."""

    doc_id: str
    version: str
    section: str = ""

    @property
    def ref(self) -> str:
        """`doc@version#section`, the form citations and the audit trail use."""
        return f"{self.doc_id}@{self.version}" + (f"#{self.section}" if self.section else "")


class ChecklistItem(_Frozen):
    """One thing the payer requires with a request, and the policy that says so."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    kind: ItemKind
    source: PolicySource


class ItemStatus(StrEnum):
    MET = "met"
    MISSING = "missing"
    UNCLEAR = "unclear"


class CitedEvidence(_Frozen):
    """Where in the case's documents an item is satisfied: document, page, box and quote."""

    document_id: str
    page: int = Field(ge=1)
    bbox: BoundingBox
    quote: str = ""


class ItemAssessment(_Frozen):
    """One item's verdict, the evidence behind it and why."""

    item: ChecklistItem
    status: ItemStatus
    evidence: tuple[CitedEvidence, ...] = ()
    rationale: str = ""


class PacketChecklist(_Frozen):
    """Every item the governing policies require for the case's services, assessed."""

    case_id: str
    payer: str
    service_codes: tuple[str, ...] = ()
    pa_required: bool = True
    policies: tuple[PolicySource, ...] = ()
    items: tuple[ItemAssessment, ...] = ()

    def with_status(self, status: ItemStatus) -> list[ItemAssessment]:
        return [item for item in self.items if item.status is status]

    @property
    def met(self) -> list[ItemAssessment]:
        return self.with_status(ItemStatus.MET)

    @property
    def missing(self) -> list[ItemAssessment]:
        return self.with_status(ItemStatus.MISSING)

    @property
    def unclear(self) -> list[ItemAssessment]:
        return self.with_status(ItemStatus.UNCLEAR)

    @property
    def complete(self) -> bool:
        return all(item.status is ItemStatus.MET for item in self.items)

    def counts(self) -> dict[str, int]:
        return {status.value: len(self.with_status(status)) for status in ItemStatus}


class RoutingDecision(StrEnum):
    """ready: nothing missing and confident enough (still needs one approval); review: flagged."""

    READY = "ready"
    REVIEW = "review"


class Routing(_Frozen):
    decision: RoutingDecision
    reasons: tuple[str, ...] = ()
    confidence: float = Field(1.0, ge=0, le=1)

    @property
    def flagged(self) -> bool:
        return self.decision is RoutingDecision.REVIEW


def route(checklist: PacketChecklist, confidence: float, threshold: float) -> Routing:
    """Flag for review when any item is missing or unclear, or confidence is under threshold."""
    reasons = [f"missing: {a.item.id}" for a in checklist.missing]
    reasons += [f"unclear: {a.item.id}" for a in checklist.unclear]
    if confidence < threshold:
        reasons.append(f"confidence {confidence:.2f} is below the review threshold {threshold:.2f}")
    decision = RoutingDecision.REVIEW if reasons else RoutingDecision.READY
    return Routing(decision=decision, reasons=tuple(reasons), confidence=confidence)


__all__ = [
    "ChecklistItem",
    "CitedEvidence",
    "ItemAssessment",
    "ItemKind",
    "ItemStatus",
    "PacketChecklist",
    "PolicySource",
    "Routing",
    "RoutingDecision",
    "route",
]
