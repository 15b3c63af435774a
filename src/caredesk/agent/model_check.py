"""The LLM path of `assess`: ask `agent.assess_item`, validate the reply, cross-check the rules.

The model never decides alone. A reply that cites a snippet it was not sent, or calls an
item met without a snippet, is rejected; a valid reply that disagrees with the rules makes
the item `unclear` for a person. So a model that obeys an instruction planted in a document
("mark everything met") can at worst send the case to review, never mark an item met that
the rules do not support.
"""

from __future__ import annotations

from dataclasses import dataclass

from caredesk.agent.budget import Meter
from caredesk.agent.matching import is_order
from caredesk.domain.errors import UpstreamUnavailable
from caredesk.domain.llm import ItemAssessment as ModelVerdict
from caredesk.domain.packets import CitedEvidence, ItemAssessment, ItemStatus
from caredesk.llm import ChatModel, PromptRegistry
from caredesk.llm.port import estimate_prompt_tokens

ASSESS_PROMPT = "agent.assess_item"
REPLY_TOKENS = 200
SNIPPET_LIMIT = 6
_REASON_LIMIT = 300


@dataclass(frozen=True)
class Snippet:
    """A numbered piece of evidence as the model sees it, and where it came from."""

    n: int
    text: str
    evidence: CitedEvidence


@dataclass(frozen=True)
class ModelOpinion:
    """What the model said about one item, once checked; `valid` False means rejected."""

    status: str
    snippet: int | None
    reason: str
    valid: bool
    problem: str = ""
    failed: bool = False  # the model did not answer (the rules stand; engine falls back)
    prompt: str = ""


class ModelChecker:
    """Asks the configured model about one item at a time, within the run's budget."""

    def __init__(self, chat: ChatModel, prompts: PromptRegistry) -> None:
        self.chat = chat
        self.prompts = prompts

    @property
    def engine(self) -> str:
        return self.chat.name

    @property
    def model(self) -> str:
        return self.chat.model

    def ask(self, item_text: str, snippets: list[Snippet], meter: Meter) -> ModelOpinion:
        rendered = self.prompts.render(
            ASSESS_PROMPT, item=item_text, snippets=[{"n": s.n, "text": s.text} for s in snippets]
        )
        estimate = estimate_prompt_tokens(rendered.messages)
        meter.before_llm_call(estimate, REPLY_TOKENS, f"assessing {item_text[:40]!r}")
        try:
            result = self.chat.complete(
                rendered.messages, max_tokens=REPLY_TOKENS, response_model=ModelVerdict
            )
        except UpstreamUnavailable as error:
            meter.after_llm_call(estimate)
            return ModelOpinion("", None, "", valid=False, problem=error.reason, failed=True,
                                prompt=rendered.ref)  # fmt: skip
        meter.after_llm_call(result.total_tokens)
        return checked(result.parsed_as(ModelVerdict), len(snippets), rendered.ref)


def checked(verdict: ModelVerdict, sent: int, prompt: str) -> ModelOpinion:
    """The verdict, or its rejection when it points at nothing or claims met without proof."""
    reason = " ".join(verdict.reason.split())[:_REASON_LIMIT]
    if is_order(reason):
        reason = "(the model's reason was withheld: it read as an instruction)"
    problem = ""
    if verdict.snippet is not None and not 1 <= verdict.snippet <= sent:
        problem = f"the model cited snippet {verdict.snippet}, but only {sent} were sent"
    elif verdict.status == "met" and verdict.snippet is None:
        problem = "the model called the item met without citing a snippet"
    return ModelOpinion(verdict.status, verdict.snippet, reason, valid=not problem,
                        problem=problem, prompt=prompt)  # fmt: skip


def cross_check(
    rule: ItemAssessment, opinion: ModelOpinion, snippets: list[Snippet]
) -> ItemAssessment:
    """Rules and model together: agreement stands, anything else is unclear for a person."""
    if rule.status is ItemStatus.UNCLEAR or opinion.failed:
        return rule
    if not opinion.valid:
        why = f"model answer rejected ({opinion.problem}); rules said {rule.status.value}"
        return rule.model_copy(
            update={"status": ItemStatus.UNCLEAR, "rationale": f"{why}: {rule.rationale}"}
        )
    if opinion.status == rule.status.value:
        chosen = [s.evidence for s in snippets if s.n == opinion.snippet]
        evidence = tuple(dict.fromkeys([*chosen, *rule.evidence]))
        note = f"{rule.rationale}. The model agrees: {opinion.reason}"
        return rule.model_copy(update={"evidence": evidence, "rationale": note})
    why = (
        f"the rules say {rule.status.value} ({rule.rationale}); the model says "
        f"{opinion.status} ({opinion.reason}): a person must decide"
    )
    return rule.model_copy(update={"status": ItemStatus.UNCLEAR, "rationale": why})


def snippets_for(evidence: list[CitedEvidence]) -> list[Snippet]:
    """Distinct quotes, numbered from 1, at most SNIPPET_LIMIT."""
    seen: set[str] = set()
    numbered: list[Snippet] = []
    for cited in evidence:
        text = " ".join(cited.quote.split())
        if not text or text in seen:
            continue
        seen.add(text)
        numbered.append(Snippet(n=len(numbered) + 1, text=text, evidence=cited))
        if len(numbered) == SNIPPET_LIMIT:
            break
    return numbered
