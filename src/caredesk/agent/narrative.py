"""The LLM path of `draft_summary`: a narrative paragraph, kept only if it adds no facts.

The paragraph is checked before it is used: no orders, no claim that the request was
approved, and every number in it must appear in what the model was given. A paragraph that
fails is dropped and the template summary stands alone (the engine falls back).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from caredesk.agent.budget import Meter
from caredesk.agent.matching import is_order
from caredesk.agent.templates import case_header
from caredesk.copilot.guard import claims_decision
from caredesk.domain.cases import Case
from caredesk.domain.errors import UpstreamUnavailable
from caredesk.domain.packets import ItemAssessment
from caredesk.llm import ChatModel, PromptRegistry
from caredesk.llm.port import estimate_prompt_tokens

SUMMARY_PROMPT = "agent.summary"
REPLY_TOKENS = 350
_LONGEST = 1200
_NUMBER = re.compile(r"\d+(?:[.,/-]\d+)*")


@dataclass(frozen=True)
class Narrative:
    """A checked paragraph ("" when rejected or failed), its prompt, and why it was dropped."""

    text: str
    prompt: str
    problem: str = ""


def ask_narrative(
    chat: ChatModel,
    prompts: PromptRegistry,
    case: Case,
    payer_name: str,
    assessments: Sequence[ItemAssessment],
    meter: Meter,
) -> Narrative:
    facts = case_header(case, payer_name)
    items = [
        {
            "status": a.status.value,
            "text": a.item.text,
            "quote": " ".join(a.evidence[0].quote.split()) if a.evidence else "",
        }
        for a in assessments
    ]
    rendered = prompts.render(SUMMARY_PROMPT, facts=facts, items=items)
    estimate = estimate_prompt_tokens(rendered.messages)
    meter.before_llm_call(estimate, REPLY_TOKENS, "writing the summary")
    try:
        result = chat.complete(rendered.messages, max_tokens=REPLY_TOKENS)
    except UpstreamUnavailable as error:
        meter.after_llm_call(estimate)
        return Narrative("", rendered.ref, f"the model failed: {error.reason}")
    meter.after_llm_call(result.total_tokens)
    given = "\n".join(facts + [f"{i['text']} {i['quote']}" for i in items])
    text = " ".join(result.text.split())
    problem = narrative_problem(text, given)
    return Narrative("" if problem else text, rendered.ref, problem)


def narrative_problem(text: str, given: str) -> str:
    """Why a model paragraph may not be used ("" when it may)."""
    if not text:
        return "the model wrote nothing"
    if len(text) > _LONGEST:
        return "the paragraph is too long"
    if is_order(text) or claims_decision(text):
        return "the paragraph gives orders or claims a decision"
    known = set(_NUMBER.findall(given))
    invented = [n for n in _NUMBER.findall(text) if n not in known]
    if invented:
        return f"the paragraph has numbers that are not in the case: {', '.join(invented[:3])}"
    return ""
