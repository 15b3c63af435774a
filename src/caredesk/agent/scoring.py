"""Confidence in an assessment, and the routing that follows from it.

An item's confidence is how sure the reading behind its verdict is: for `met`, the OCR and
extraction confidence of its best evidence; for `missing`, how readable the pages were (a
missing item on a poor fax may be there after all); `unclear` counts half. The case's
confidence is their mean, scaled by how often the model agreed with the rules (LLM path) and
lowered when a document is unread or a page unreadable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from caredesk.agent.evidence import CaseReading, ItemFindings
from caredesk.domain.packets import (
    ItemAssessment,
    ItemStatus,
    PacketChecklist,
    Routing,
    RoutingDecision,
    route,
)

UNCLEAR_WEIGHT = 0.5
INCOMPLETE_READING = 0.8


def item_confidence(
    assessed: ItemAssessment, findings: ItemFindings | None, reading: CaseReading
) -> float:
    if assessed.status is ItemStatus.UNCLEAR:
        return UNCLEAR_WEIGHT
    if assessed.status is ItemStatus.MISSING:
        return reading.page_quality
    if findings is None:
        return 1.0
    fields = [f.confidence for f in findings.fields if f.state == "present"]
    keywords = [k.confidence for k in findings.keywords]
    # The weakest field counts (all are needed); of the keywords, the best ones do.
    parts = fields + ([max(keywords)] if keywords else [])
    return min(parts) if parts else 1.0


def confidence(
    assessments: Sequence[ItemAssessment],
    findings: Mapping[str, ItemFindings],
    reading: CaseReading,
    opinions: Mapping[str, Mapping[str, Any]],
) -> float:
    if not assessments:
        return UNCLEAR_WEIGHT
    scores = [item_confidence(a, findings.get(a.item.id), reading) for a in assessments]
    score = sum(scores) / len(scores)
    asked = [o for o in opinions.values() if not o.get("failed")]
    if asked:
        score *= sum(1 for o in asked if o.get("agrees")) / len(asked)
    if reading.unread or reading.unreadable_pages:
        score *= INCOMPLETE_READING
    return round(max(0.0, min(1.0, score)), 4)


def routing(
    checklist: PacketChecklist, score: float, threshold: float, reasons: Sequence[str]
) -> Routing:
    """`ready` only when nothing is missing or unclear, nothing else needs a person, and the
    confidence reaches the threshold; otherwise `review`, with every reason."""
    base = route(checklist, score, threshold)
    extra = tuple(dict.fromkeys(r for r in reasons if r not in base.reasons))
    if not extra:
        return base
    return Routing(
        decision=RoutingDecision.REVIEW, reasons=(*base.reasons, *extra), confidence=score
    )


def reading_reasons(reading: CaseReading) -> list[str]:
    """Case-level reasons a person must look, named without any document text."""
    reasons = [
        f"the documents disagree on {c.field} ({', '.join(sorted(c.values))})"
        for c in reading.conflicts
    ]
    if reading.payer_mismatch:
        reasons.append(
            f"the member ID has another payer's prefix ({reading.payer_mismatch}): wrong payer?"
        )
    if reading.orders:
        where = sorted({f"{o.document_id} p.{o.page}" for o in reading.orders})
        reasons.append(
            "a document addresses instructions to the reviewer; treated as data and ignored "
            f"({', '.join(where)})"
        )
    if reading.unread:
        reasons.append(f"not read yet: {', '.join(reading.unread)}")
    if reading.unreadable_pages:
        reasons.append(f"unreadable pages: {', '.join(reading.unreadable_pages)}")
    return reasons
