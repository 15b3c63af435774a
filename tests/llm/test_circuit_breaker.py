"""The circuit breaker's states and the retry policy's waits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.llm.breaker import BreakerState, CircuitBreaker
from caredesk.llm.retry import AttemptError, RetryPolicy, call_with_retries


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_only_after_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between starts the count again
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        breaker.before_call()
    assert raised.value.details["retry_in_s"] == 10.0


def test_half_open_lets_exactly_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10

    breaker.before_call()  # the probe

    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(UpstreamUnavailable):
        breaker.before_call()  # a second caller while the probe is out
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_a_probe_that_never_reports_back_is_replaced_after_a_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    breaker.before_call()
    clock.now += 10

    breaker.before_call()  # does not raise

    assert breaker.state is BreakerState.HALF_OPEN


def test_retries_stop_as_soon_as_the_breaker_opens() -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=60, clock=Clock())
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        raise AttemptError("the LLM server failed with HTTP 500", retriable=True, status=500)

    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        call_with_retries(
            attempt, policy=RetryPolicy(max_retries=5), breaker=breaker, sleep=lambda _: None
        )

    assert len(calls) == 2


def test_refusals_do_not_count_against_the_breaker() -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=60, clock=Clock())

    def attempt() -> str:
        raise AttemptError("the LLM server rejected the request (HTTP 400)", retriable=False)

    with pytest.raises(UpstreamUnavailable, match="HTTP 400"):
        call_with_retries(attempt, policy=RetryPolicy(), breaker=breaker)

    assert breaker.state is BreakerState.CLOSED


@given(
    retry=st.integers(min_value=0, max_value=30),
    base=st.floats(min_value=0.001, max_value=5),
    cap=st.floats(min_value=0.001, max_value=60),
    seed=st.integers(),
)
def test_backoff_stays_between_half_and_all_of_the_capped_exponential(
    retry: int, base: float, cap: float, seed: int
) -> None:
    policy = RetryPolicy(max_retries=31, base_delay_s=base, max_delay_s=cap)

    wait = policy.delay(retry, None, random.Random(seed))

    ceiling = min(cap, base * 2.0**retry)
    assert wait is not None and ceiling / 2 <= wait <= ceiling


def test_no_wait_is_offered_past_the_last_retry() -> None:
    assert RetryPolicy(max_retries=2).delay(2, None, random.Random(0)) is None
