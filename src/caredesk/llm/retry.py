"""Retries with exponential backoff and jitter, gated by a circuit breaker."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.llm.breaker import CircuitBreaker

R = TypeVar("R")


class AttemptError(Exception):
    """One attempt at an upstream call failed; says whether another attempt may help."""

    def __init__(
        self,
        reason: str,
        *,
        retriable: bool,
        retry_after_s: float | None = None,
        status: int | None = None,
        error_type: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retriable = retriable
        self.retry_after_s = retry_after_s
        self.status = status
        self.error_type = error_type


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed attempt is repeated."""

    max_retries: int = 2
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    # A server asking for a longer pause than this is treated as down: the caller's
    # fallback answers sooner than the wait would.
    max_retry_after_s: float = 20.0

    def delay(self, retry: int, retry_after_s: float | None, rng: random.Random) -> float | None:
        """Seconds to wait before retry number `retry` (0-based), or None to give up now."""
        if retry >= self.max_retries:
            return None
        if retry_after_s is not None:
            return retry_after_s if retry_after_s <= self.max_retry_after_s else None
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**retry)
        # Equal jitter keeps a floor under the wait while spreading callers that failed together.
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def call_with_retries(
    attempt: Callable[[], R],
    *,
    policy: RetryPolicy,
    breaker: CircuitBreaker,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> R:
    """Run `attempt` until it succeeds, retrying retriable failures; else `UpstreamUnavailable`.

    Every attempt passes the breaker first, so an open breaker ends the retries at once.
    Retriable failures (connection, timeout, 429, 5xx) count against the breaker; a refusal
    such as 400 or 401 proves the server is up, so it does not.
    """
    jitter = rng or random.Random()  # noqa: S311 - jitter, not cryptography
    retry = 0
    while True:
        breaker.before_call()
        try:
            outcome = attempt()
        except AttemptError as failed:
            (breaker.record_failure if failed.retriable else breaker.record_success)()
            wait = policy.delay(retry, failed.retry_after_s, jitter) if failed.retriable else None
            if wait is None:
                raise _unavailable(failed, attempts=retry + 1) from None
            sleep(wait)
            retry += 1
            continue
        except Exception:
            breaker.record_failure()
            raise
        breaker.record_success()
        return outcome


def _unavailable(failed: AttemptError, *, attempts: int) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        failed.reason,
        attempts=attempts,
        status=failed.status,
        error_type=failed.error_type,
        retriable=failed.retriable,
    )
