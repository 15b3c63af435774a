"""The graph's state: plain JSON values only, so every checkpoint reloads on any backend."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

# Node names, in the order of the full path.
IDENTIFY = "identify"
PA_REQUIRED = "pa_required"
NO_PA_NOTE = "no_pa_note"
CHECKLIST = "checklist"
GATHER_EVIDENCE = "gather_evidence"
ASSESS = "assess"
DRAFT_SUMMARY = "draft_summary"
DRAFT_OUTREACH = "draft_outreach"
SCORE = "score"
ROUTE = "route"

FULL_PATH = (
    IDENTIFY,
    PA_REQUIRED,
    CHECKLIST,
    GATHER_EVIDENCE,
    ASSESS,
    DRAFT_SUMMARY,
    DRAFT_OUTREACH,
    SCORE,
    ROUTE,
)
# PA is not required for any code: a note saying so, with its citation, and done.
SHORT_PATH = (IDENTIFY, PA_REQUIRED, NO_PA_NOTE, SCORE, ROUTE)
NODES = (*FULL_PATH[:2], NO_PA_NOTE, *FULL_PATH[2:])


class AgentState(TypedDict, total=False):
    """What the nodes hand each other. Domain objects travel as their JSON dumps."""

    case_id: str
    run_id: str
    # identify
    payer: str  # the payer id when the knowledge base knows the payer, else as written
    payer_name: str
    payer_known: bool
    plan: str | None
    codes: list[str]
    as_of: str
    # pa_required
    pa: list[dict[str, Any]]
    pa_path: str  # "full" | "not_required"
    # checklist
    planned: list[dict[str, Any]]  # PlannedItem dumps
    policies: list[dict[str, Any]]  # PolicySource dumps
    patient_notice: list[str]  # refs of policies asking for a patient notice
    # gather_evidence
    reading: dict[str, Any]  # CaseReading dump
    findings: dict[str, dict[str, Any]]  # item id -> ItemFindings dump
    # assess
    assessments: list[dict[str, Any]]  # domain ItemAssessment dumps
    model_opinions: dict[str, dict[str, Any]]  # item id -> {status, valid, agrees, ...}
    # drafts (composed; saved by `route` with the routing as their flags)
    drafts: Annotated[list[dict[str, Any]], operator.add]
    # score and route
    confidence: float
    checklist: dict[str, Any]  # the final PacketChecklist dump
    routing: dict[str, Any]
    reasons: Annotated[list[str], operator.add]  # case-level review reasons from any node
    # bookkeeping
    engine: str
    model: str
    fallback: str  # why a model call fell back to the offline engine ("" when none did)
    usage: dict[str, Any]
    stopped: str  # why the run stopped early (a bound); "" while running
    nodes_done: Annotated[list[str], operator.add]
