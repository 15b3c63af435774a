"""The graph's nodes: each reads the state, calls only the case's read-only tools, and returns
an update. None of them writes anything; `route`'s result is saved by the run (see runner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from caredesk.agent.budget import Meter
from caredesk.agent.checklist import (
    IDENTITY_ITEM,
    IDENTITY_PLAYBOOK,
    PlannedItem,
    identity_item,
    items_from_policies,
    policy_source,
)
from caredesk.agent.evidence import CaseReading, ItemFindings, find_for_item, read_case
from caredesk.agent.model_check import ModelChecker, cross_check, snippets_for
from caredesk.agent.rules import RULES_REF, assess_by_rules
from caredesk.agent.scoring import confidence, reading_reasons, routing
from caredesk.agent.state import AgentState
from caredesk.agent.tools import CaseTools
from caredesk.domain.errors import BudgetExceeded
from caredesk.domain.knowledge import KbDocument, PaRequirement, PaStatus
from caredesk.domain.packets import ItemAssessment, ItemStatus, PacketChecklist, PolicySource


@dataclass
class StepNote:
    """What a node used, for its audit event: prompts (id@version) and sources (ids)."""

    prompts: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class NodeContext:
    tools: CaseTools
    meter: Meter
    checker: ModelChecker | None
    review_threshold: float
    note: StepNote = field(default_factory=StepNote)


Update = dict[str, Any]


def identify(state: AgentState, ctx: NodeContext) -> Update:
    """Payer, plan, service codes and the date the policies are read as of."""
    case = ctx.tools.case()
    written = str(case.raw("payer") or "")
    payer = ctx.tools.payer(written) if written else None
    as_of = case.raw("date_of_service") or case.received_at.date()
    reasons = []
    if payer is None:
        reasons.append(
            f"the knowledge base does not know the payer {written!r}"
            if written
            else "the case names no payer"
        )
    if not case.service_lines:
        reasons.append("the case has no service codes")
    ctx.note.sources.add(case.id)
    return {
        "payer": payer.id if payer else written,
        "payer_name": payer.name if payer else (written or "the payer"),
        "payer_known": payer is not None,
        "plan": case.raw("plan"),
        "codes": [line.code for line in case.service_lines],
        "as_of": as_of.isoformat(),
        "reasons": reasons,
    }


def _as_of(state: AgentState) -> date:
    return date.fromisoformat(state["as_of"])


def pa_required(state: AgentState, ctx: NodeContext) -> Update:
    """Per code: does it need PA with this payer on this date (the policy version in force)?"""
    found = [
        ctx.tools.pa_requirement(state["payer"], code, _as_of(state), state.get("plan"))
        for code in state.get("codes", [])
    ]
    reasons = []
    for requirement in found:
        if requirement.doc_id:
            ctx.note.sources.add(f"{requirement.doc_id}@{requirement.version}")
        if requirement.status is PaStatus.CONDITIONAL:
            reasons.append(f"PA for {requirement.code} depends on a condition: {requirement.rule}")
        elif requirement.status is PaStatus.UNKNOWN and state.get("payer_known"):
            reasons.append(f"PA for {requirement.code} is unknown: {requirement.reason}")
    exempt = bool(found) and all(r.status is PaStatus.NOT_REQUIRED for r in found)
    return {
        "pa": [requirement.model_dump(mode="json") for requirement in found],
        "pa_path": "not_required" if exempt else "full",
        "reasons": reasons,
    }


def requirements(state: AgentState) -> list[PaRequirement]:
    return [PaRequirement.model_validate(raw) for raw in state.get("pa", [])]


def governing_policies(state: AgentState, ctx: NodeContext) -> list[KbDocument]:
    """The in-force policies of the codes that are not exempt, each once."""
    docs: dict[str, KbDocument] = {}
    for requirement in requirements(state):
        if requirement.status is PaStatus.NOT_REQUIRED or not state.get("payer_known"):
            continue
        plan = state.get("plan")
        for doc in ctx.tools.policies_for(state["payer"], requirement.code, _as_of(state), plan):
            docs.setdefault(doc.key, doc)
    return list(docs.values())


def checklist(state: AgentState, ctx: NodeContext) -> Update:
    """The governing policies' checklist items (ids stable), led by the identity check."""
    docs = governing_policies(state, ctx)
    planned = items_from_policies(docs)
    playbook = ctx.tools.kb_document(IDENTITY_PLAYBOOK, _as_of(state))
    if playbook is not None:
        planned.insert(0, identity_item(playbook))
    ctx.note.sources |= {doc.key for doc in docs}
    ctx.note.counts["items"] = len(planned)
    reasons = []
    if not docs and state.get("payer_known"):
        reasons.append(
            f"no policy of {state['payer']} in force on {state['as_of']} governs "
            f"{', '.join(state.get('codes', [])) or 'the requested services'}"
        )
    return {
        "planned": [p.model_dump(mode="json") for p in planned],
        "policies": [policy_source(doc).model_dump(mode="json") for doc in docs],
        "patient_notice": [doc.key for doc in docs if doc.front_matter.patient_notice],
        "reasons": reasons,
    }


def planned_items(state: AgentState) -> list[PlannedItem]:
    return [PlannedItem.model_validate(raw) for raw in state.get("planned", [])]


def gather_evidence(state: AgentState, ctx: NodeContext) -> Update:
    """Read every document of the case once; collect each item's fields and keyword hits."""
    case = ctx.tools.case()
    extractions = {doc: ctx.tools.extraction(doc) for doc in case.document_ids}
    reading, pages = read_case(case, extractions, ctx.tools.payers())
    found = {
        p.item.id: find_for_item(p, case, extractions, reading, pages).model_dump(mode="json")
        for p in planned_items(state)
    }
    ctx.note.sources |= set(case.document_ids)
    ctx.note.counts |= {"documents": len(extractions), "pages": len(pages)}
    return {
        "reading": reading.model_dump(mode="json"),
        "findings": found,
        "reasons": reading_reasons(reading),
    }


def case_reading(state: AgentState) -> CaseReading:
    return CaseReading.model_validate(state.get("reading") or {})


def item_findings(state: AgentState) -> dict[str, ItemFindings]:
    raw = state.get("findings") or {}
    return {item_id: ItemFindings.model_validate(value) for item_id, value in raw.items()}


def assess(state: AgentState, ctx: NodeContext) -> Update:
    """Each item met / missing / unclear by the rules; with a model, cross-checked by it."""
    reading, findings = case_reading(state), item_findings(state)
    done: list[ItemAssessment] = []
    opinions: dict[str, dict[str, Any]] = {}
    update: Update = {}
    for planned in planned_items(state):
        found = findings.get(planned.item.id) or ItemFindings(item_id=planned.item.id)
        verdict = assess_by_rules(planned, found, reading)
        try:
            verdict = _with_model(planned, found, verdict, ctx, opinions)
        except BudgetExceeded as stop:
            update["stopped"] = stop.reason
            break
        done.append(verdict)
    ctx.note.counts |= {s.value: sum(1 for a in done if a.status is s) for s in ItemStatus}
    ctx.note.prompts.append(RULES_REF)
    failed = [o["problem"] for o in opinions.values() if o.get("failed")]
    return update | {
        "assessments": [a.model_dump(mode="json") for a in done],
        "model_opinions": opinions,
        "fallback": failed[0] if failed else state.get("fallback", ""),
    }


def _with_model(
    planned: PlannedItem,
    found: ItemFindings,
    verdict: ItemAssessment,
    ctx: NodeContext,
    opinions: dict[str, dict[str, Any]],
) -> ItemAssessment:
    """The model's check of a keyword item that has something to show it."""
    if ctx.checker is None or not planned.keywords or verdict.status is ItemStatus.UNCLEAR:
        return verdict
    snippets = snippets_for([cited for k in found.keywords for cited in k.evidence])
    if not snippets:
        return verdict
    opinion = ctx.checker.ask(planned.item.text, snippets, ctx.meter)
    ctx.note.prompts.append(opinion.prompt)
    checked = cross_check(verdict, opinion, snippets)
    opinions[planned.item.id] = {
        "status": opinion.status,
        "valid": opinion.valid,
        "failed": opinion.failed,
        "problem": opinion.problem,
        "agrees": opinion.valid and opinion.status == verdict.status.value,
    }
    return checked


def assessed_items(state: AgentState) -> list[ItemAssessment]:
    return [ItemAssessment.model_validate(raw) for raw in state.get("assessments", [])]


def score(state: AgentState, ctx: NodeContext) -> Update:
    """How sure the reading behind the verdicts is (see `scoring`)."""
    if state.get("pa_path") == "not_required":
        case = ctx.tools.case()
        codes = case.value_of("procedure_codes")
        sure = 1.0 if codes is None or codes.confidence is None else codes.confidence
        return {"confidence": round(sure, 4)}
    value = confidence(
        assessed_items(state), item_findings(state), case_reading(state),
        state.get("model_opinions") or {},
    )  # fmt: skip
    return {"confidence": value}


def route(state: AgentState, ctx: NodeContext) -> Update:
    """The final checklist (items a stopped run never reached are unclear) and its routing."""
    assessed = assessed_items(state)
    reached = {a.item.id for a in assessed}
    stopped = state.get("stopped", "")
    items = assessed + [
        ItemAssessment(item=p.item, status=ItemStatus.UNCLEAR, rationale=f"not assessed: {stopped}")
        for p in planned_items(state)
        if p.item.id not in reached
    ]
    final = PacketChecklist(
        case_id=state["case_id"],
        payer=state.get("payer", ""),
        service_codes=tuple(state.get("codes", [])),
        pa_required=state.get("pa_path") != "not_required",
        policies=tuple(PolicySource.model_validate(p) for p in state.get("policies", [])),
        items=tuple(items),
    )
    reasons = list(state.get("reasons", []))
    if stopped:
        reasons.append(f"the run stopped early: {stopped}")
    score_value = 0.0 if stopped else float(state.get("confidence", 0.0))
    decided = routing(final, score_value, ctx.review_threshold, reasons)
    ctx.note.counts |= final.counts()
    return {"checklist": final.model_dump(mode="json"), "routing": decided.model_dump(mode="json")}


__all__ = [
    "IDENTITY_ITEM",
    "NodeContext",
    "StepNote",
    "assess",
    "assessed_items",
    "case_reading",
    "checklist",
    "gather_evidence",
    "identify",
    "item_findings",
    "pa_required",
    "planned_items",
    "requirements",
    "route",
    "score",
]
