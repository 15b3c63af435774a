"""The run's bounds: steps, LLM calls, tokens and seconds, counted and enforced."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caredesk.domain.errors import BudgetExceeded

if TYPE_CHECKING:
    from caredesk.settings import Settings


@dataclass(frozen=True)
class Limits:
    """What one run may spend; from `CAREDESK_AGENT_MAX_*`."""

    steps: int = 40
    llm_calls: int = 12
    tokens: int = 60_000
    seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            steps=settings.agent_max_steps,
            llm_calls=settings.agent_max_llm_calls,
            tokens=settings.agent_max_tokens,
            seconds=settings.agent_max_seconds,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "llm_calls": self.llm_calls,
            "tokens": self.tokens,
            "seconds": self.seconds,
        }


@dataclass
class Usage:
    """What a run has spent so far; travels in the checkpointed state, so a resumed run
    continues counting where the crashed one stopped (downtime is not counted)."""

    steps: int = 0
    llm_calls: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Usage:
        raw = raw or {}
        return cls(
            steps=int(raw.get("steps", 0)),
            llm_calls=int(raw.get("llm_calls", 0)),
            tokens=int(raw.get("tokens", 0)),
            seconds=float(raw.get("seconds", 0.0)),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "llm_calls": self.llm_calls,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Meter:
    """Counts one node's spending on top of the run's and stops the run at a limit.

    Every check raises `BudgetExceeded` naming the bound; the graph ends the run cleanly.
    """

    limits: Limits
    usage: Usage
    _started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return self.usage.seconds + (time.monotonic() - self._started)

    def begin_step(self, node: str) -> None:
        """One more graph step; refused past the step or time limit."""
        if self.usage.steps + 1 > self.limits.steps:
            raise BudgetExceeded(
                f"step limit reached ({self.limits.steps} steps) before {node}",
                bound="steps",
                limit=self.limits.steps,
            )
        self.check_time(node)
        self.usage.steps += 1

    def check_time(self, doing: str) -> None:
        if self.elapsed() > self.limits.seconds:
            raise BudgetExceeded(
                f"time limit reached ({self.limits.seconds:g} s) before {doing}",
                bound="seconds",
                limit=self.limits.seconds,
            )

    def before_llm_call(self, prompt_tokens: int, max_completion: int, doing: str) -> None:
        """Refuse a call that would pass the call, token or time limit."""
        self.check_time(doing)
        if self.usage.llm_calls + 1 > self.limits.llm_calls:
            raise BudgetExceeded(
                f"LLM call limit reached ({self.limits.llm_calls} calls) before {doing}",
                bound="llm_calls",
                limit=self.limits.llm_calls,
            )
        if self.usage.tokens + prompt_tokens + max_completion > self.limits.tokens:
            raise BudgetExceeded(
                f"token limit reached ({self.limits.tokens} tokens) before {doing}",
                bound="tokens",
                limit=self.limits.tokens,
            )

    def after_llm_call(self, tokens: int) -> None:
        self.usage.llm_calls += 1
        self.usage.tokens += tokens

    def settle(self) -> Usage:
        """Fold this node's wall time into the run's and start counting afresh."""
        now = time.monotonic()
        self.usage.seconds += now - self._started
        self._started = now
        return self.usage
