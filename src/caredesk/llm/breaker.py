"""Circuit breaker for an LLM server: closed → open after N failures → half-open after a pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

from caredesk.domain.errors import UpstreamUnavailable


class BreakerState(StrEnum):
    """closed: calls flow; open: calls fail fast; half_open: one probe call may test the server."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failed attempts and stops calling a server that keeps failing.

    After `failure_threshold` consecutive failures the breaker opens: every call fails at once
    with `UpstreamUnavailable`, so callers fall back without waiting for timeouts. After
    `cooldown_s` one probe call is let through (half-open); its success closes the breaker,
    its failure opens it for another cool-down. Thread-safe.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        label: str = "LLM server",
    ) -> None:
        if failure_threshold < 1 or cooldown_s < 0:
            raise ValueError("failure_threshold must be ≥ 1 and cooldown_s ≥ 0")
        self._threshold = failure_threshold
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._label = label
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = 0.0
        self._state = BreakerState.CLOSED
        self._probe_in_flight = False
        self._probe_started = 0.0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def before_call(self) -> None:
        """Raise `UpstreamUnavailable` unless a call may go out now."""
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.HALF_OPEN and self._may_probe():
                self._probe_in_flight = True
                self._probe_started = self._clock()
                return
            retry_in = max(0.0, self._opened_at + self._cooldown_s - self._clock())
            raise UpstreamUnavailable(
                f"{self._label} is failing; calls are paused (circuit open)",
                breaker="open",
                retry_in_s=round(retry_in, 1),
            )

    def record_success(self) -> None:
        """The server answered: close the breaker and forget earlier failures."""
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            self._state = BreakerState.CLOSED

    def record_failure(self) -> None:
        """One attempt failed; open after the threshold, or at once if it was the probe."""
        with self._lock:
            self._failures += 1
            probe_failed = self._state is BreakerState.HALF_OPEN
            self._probe_in_flight = False
            if probe_failed or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()

    def _may_probe(self) -> bool:
        # A probe that never reported back (its thread died) must not block the server forever.
        stale = self._clock() - self._probe_started >= self._cooldown_s
        return not self._probe_in_flight or stale

    def _maybe_half_open(self) -> None:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self._cooldown_s:
            self._state = BreakerState.HALF_OPEN
            self._probe_in_flight = False
