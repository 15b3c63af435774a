"""The drafting nodes: the PA-not-required note, the summary and cover letter, the outreach.

Drafts are composed here and saved by `route` with the run's routing as their flags. Each is
held to its audience's minimum-necessary list before it is kept: one that would disclose a
field its reader may not see is withheld, and the case goes to review saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.agent.checklist import IDENTITY_ITEM
from caredesk.agent.narrative import Narrative, ask_narrative
from caredesk.agent.nodes import NodeContext, Update, assessed_items, requirements
from caredesk.agent.state import AgentState
from caredesk.agent.templates import (
    ComposedDraft,
    cover_letter,
    no_pa_note,
    patient_notice,
    provider_request,
    summary,
    summary_draft,
    template_ref,
)
from caredesk.domain.cases import Case
from caredesk.domain.disclosure import check_disclosure
from caredesk.domain.errors import BudgetExceeded
from caredesk.domain.packets import ItemAssessment, ItemStatus, PolicySource
from caredesk.llm import OFFLINE, OFFLINE_FALLBACK


def _engine(ctx: NodeContext) -> str:
    return OFFLINE if ctx.checker is None else OFFLINE_FALLBACK


def _policies(state: AgentState) -> list[PolicySource]:
    return [PolicySource.model_validate(raw) for raw in state.get("policies", [])]


def kept(drafts: Sequence[ComposedDraft], case: Case) -> tuple[list[ComposedDraft], list[str]]:
    """The drafts that pass the disclosure check, and a review reason for each that does not."""
    passed: list[ComposedDraft] = []
    reasons: list[str] = []
    for draft in drafts:
        problems = check_disclosure(draft.audience, draft.fields_used, draft.content, case)
        if problems:
            fields = ", ".join(sorted({p.field for p in problems}))
            reasons.append(f"draft {draft.slot} withheld by the minimum-necessary check ({fields})")
            continue
        passed.append(draft)
    return passed, reasons


def _update(drafts: Sequence[ComposedDraft], case: Case, ctx: NodeContext) -> Update:
    passed, reasons = kept(drafts, case)
    ctx.note.counts["drafts"] = len(passed)
    for draft in passed:
        ctx.note.sources |= set(draft.source_ids)
        ctx.note.prompts.append(draft.prompt)
    return {"drafts": [d.model_dump(mode="json") for d in passed], "reasons": reasons}


def pa_note(state: AgentState, ctx: NodeContext) -> Update:
    """No code needs PA on this date: an internal note citing the section that says so."""
    case = ctx.tools.case()
    found = requirements(state)
    note = no_pa_note(case, state.get("payer_name", ""), found, OFFLINE)
    policies = [
        PolicySource(doc_id=r.doc_id, version=r.version or "", section=r.section or "")
        for r in found
        if r.doc_id
    ]
    update = _update([note], case, ctx)
    return update | {
        "policies": [p.model_dump(mode="json") for p in dict.fromkeys(policies)],
        "planned": [],
        "assessments": [],
    }


def draft_summary(state: AgentState, ctx: NodeContext) -> Update:
    """The medical-necessity summary and the packet cover letter."""
    case = ctx.tools.case()
    payer_name = state.get("payer_name", "")
    assessed, policies = assessed_items(state), _policies(state)
    story, stopped = _narrative(case, payer_name, assessed, ctx)
    if story.prompt:  # the model was asked, whether or not its paragraph was kept
        ctx.note.prompts.append(story.prompt)
    sources = tuple(p.ref for p in policies) + _cited_documents(assessed)
    if story.text and ctx.checker is not None:
        prompt, engine, model = story.prompt, ctx.checker.engine, ctx.checker.model
    else:
        prompt, engine, model = template_ref("summary"), _engine(ctx), ""
    content = summary(case, payer_name, policies, assessed, story.text)
    drafts = [
        summary_draft(content, case, sources, prompt=prompt, engine=engine, model=model),
        cover_letter(case, payer_name, policies, assessed, OFFLINE),
    ]
    update = _update(drafts, case, ctx)
    if story.problem and ctx.checker is not None:
        update["fallback"] = story.problem
    return update | ({"stopped": stopped} if stopped else {})


def _narrative(
    case: Case, payer_name: str, assessed: list[ItemAssessment], ctx: NodeContext
) -> tuple[Narrative, str]:
    if ctx.checker is None:
        return Narrative("", ""), ""
    try:
        return (
            ask_narrative(ctx.checker.chat, ctx.checker.prompts, case, payer_name, assessed,
                          ctx.meter),
            "",
        )  # fmt: skip
    except BudgetExceeded as stop:
        return Narrative("", "", stop.reason), stop.reason


def _cited_documents(assessed: Sequence[ItemAssessment]) -> tuple[str, ...]:
    cited = (e.document_id for a in assessed for e in a.evidence)
    return tuple(dict.fromkeys(cited))


def draft_outreach(state: AgentState, ctx: NodeContext) -> Update:
    """A request to the ordering provider per missing item, and the patient notice where a
    governing policy asks for one while anything is missing or unclear."""
    case = ctx.tools.case()
    payer_name = state.get("payer_name", "")
    assessed = assessed_items(state)
    missing = [a for a in assessed if a.status is ItemStatus.MISSING]
    drafts = [provider_request(case, payer_name, _outreach_item(a), OFFLINE) for a in missing]
    open_items = [a for a in assessed if a.status is not ItemStatus.MET]
    notice_policies = state.get("patient_notice", [])
    if notice_policies and open_items:
        drafts.append(patient_notice(case, payer_name, len(open_items), notice_policies, OFFLINE))
    return _update(drafts, case, ctx)


def _outreach_item(assessed: ItemAssessment) -> ItemAssessment:
    """The identity check asks the provider for the identifiers that are absent."""
    if assessed.item.id != IDENTITY_ITEM:
        return assessed
    absent = assessed.rationale.removeprefix("not in the case: ").replace("_", " ")
    item = assessed.item.model_copy(update={"text": f"The patient's {absent}"})
    return assessed.model_copy(update={"item": item})
