"""The offline engine's verdict on one item: deterministic rules over the evidence found.

- a named field the documents disagree on → unclear (a person must settle it);
- a named case field absent → missing; present but failing its check (an NPI) → unclear;
- fewer distinct keywords than the policy's `min_keywords` → missing;
- otherwise met, citing the field values and keyword hits that satisfy it.
"""

from __future__ import annotations

from caredesk.agent.checklist import IDENTITY_ITEM, PlannedItem
from caredesk.agent.evidence import CaseReading, FieldFinding, ItemFindings
from caredesk.domain.packets import CitedEvidence, ItemAssessment, ItemStatus

EVIDENCE_LIMIT = 6
# How the rules are named in provenance and the audit log, as prompts are (`id@version`).
RULES_REF = "rules.assess@1"


def assess_by_rules(
    planned: PlannedItem, findings: ItemFindings, reading: CaseReading
) -> ItemAssessment:
    """The item's status, the evidence cited and why."""
    item = planned.item
    fields = [f for f in findings.fields if f.field in planned.case_fields]
    disputed = [f for f in fields if f.state == "conflict"]
    if item.id == IDENTITY_ITEM and reading.payer_mismatch and not disputed:
        reason = (
            f"the member ID starts with {reading.payer_mismatch}, another payer's prefix: "
            "check the payer and member ID on the case"
        )
        return ItemAssessment(item=item, status=ItemStatus.UNCLEAR, rationale=reason,
                              evidence=_field_evidence(fields))  # fmt: skip
    if disputed:
        return ItemAssessment(item=item, status=ItemStatus.UNCLEAR,
                              evidence=_field_evidence(fields),
                              rationale="; ".join(f.reason for f in disputed))  # fmt: skip
    absent = [f.field for f in fields if f.state == "absent"]
    if absent:
        return ItemAssessment(item=item, status=ItemStatus.MISSING,
                              rationale=f"not in the case: {', '.join(absent)}")  # fmt: skip
    invalid = [f for f in fields if f.state == "invalid"]
    if invalid:
        return ItemAssessment(item=item, status=ItemStatus.UNCLEAR,
                              evidence=_field_evidence(fields),
                              rationale="; ".join(f.reason for f in invalid))  # fmt: skip
    return _keyword_verdict(planned, findings, fields)


def _keyword_verdict(
    planned: PlannedItem, findings: ItemFindings, fields: list[FieldFinding]
) -> ItemAssessment:
    item = planned.item
    found = [k.keyword for k in findings.keywords]
    if not planned.checkable:
        return ItemAssessment(
            item=item,
            status=ItemStatus.UNCLEAR,
            rationale="the policy names nothing the documents could show",
        )
    if planned.min_keywords and len(found) < planned.min_keywords:
        if found:
            why = (f"only {len(found)} of the {planned.min_keywords} terms the policy asks for "
                   f"({', '.join(found)})")  # fmt: skip
        else:
            why = "none of the terms the policy looks for is in the documents"
        return ItemAssessment(item=item, status=ItemStatus.MISSING, rationale=why)
    evidence = _field_evidence(fields) + tuple(
        cited for finding in findings.keywords for cited in finding.evidence[:1]
    )
    parts = [f"{f.field} {f.value}" for f in fields]
    if planned.min_keywords:
        parts.append(f"{len(found)} of the policy's terms ({', '.join(found)})")
    return ItemAssessment(
        item=item,
        status=ItemStatus.MET,
        evidence=evidence[:EVIDENCE_LIMIT],
        rationale="found: " + "; ".join(parts),
    )


def _field_evidence(fields: list[FieldFinding]) -> tuple[CitedEvidence, ...]:
    return tuple(f.evidence for f in fields if f.evidence is not None)
