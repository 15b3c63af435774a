"""Typed replies the shipped prompts ask a model for (pure models, shared by copilot and agent)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EntailmentVerdict(BaseModel):
    """Reply of prompt `copilot.verify`: does the cited passage support the sentence?"""

    # extra="forbid" puts `additionalProperties: false` in the schema, which strict
    # JSON-schema decoding (OpenAI, llama.cpp grammars) requires.
    model_config = ConfigDict(extra="forbid")

    verdict: Literal["yes", "no"] = Field(
        description="`yes` only when the passage states what the sentence says."
    )


class ItemAssessment(BaseModel):
    """Reply of prompt `agent.assess_item`: is one checklist item backed by the evidence?"""

    model_config = ConfigDict(extra="forbid")

    status: Literal["met", "missing", "unclear"] = Field(
        description="`met`: a snippet shows the item is satisfied; `missing`: no snippet "
        "addresses it; `unclear`: a snippet addresses it but does not settle it."
    )
    snippet: int | None = Field(
        description="Number of the snippet that decides the status; null when none does."
    )
    reason: str = Field(description="One short sentence explaining the status.")
