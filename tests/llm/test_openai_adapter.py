"""The OpenAI-compatible adapter end to end against a real chat-completions server on localhost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from tests.support.fake_openai import FakeOpenAI, FakeReply

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.domain.llm import EntailmentVerdict, ItemAssessment
from caredesk.knowledge.tokens import count_tokens
from caredesk.llm import ChatMessage, InvalidModelOutput
from caredesk.llm.breaker import BreakerState, CircuitBreaker
from caredesk.llm.openai_compat import OpenAICompatModel
from caredesk.llm.retry import RetryPolicy

QUESTION = [
    ChatMessage(role="system", content="Answer only from the sources."),
    ChatMessage(role="user", content="Does Quillfeather Health need PA for CPT 72148?"),
]

ModelFactory = Callable[..., OpenAICompatModel]


@pytest.fixture
def make_model(fake_openai: FakeOpenAI) -> Iterator[ModelFactory]:
    """Adapters pointed at the fake server, with retries fast enough for tests."""
    built: list[OpenAICompatModel] = []

    def make(**options: Any) -> OpenAICompatModel:
        retries = options.pop("max_retries", 2)
        defaults: dict[str, Any] = {
            "base_url": fake_openai.base_url,
            "api_key": "test-key",
            "timeout_s": 2.0,
            "retry": RetryPolicy(max_retries=retries, base_delay_s=0.01, max_delay_s=0.05),
            "breaker": CircuitBreaker(failure_threshold=50),
        }
        model = OpenAICompatModel(fake_openai.model, **(defaults | options))
        built.append(model)
        return model

    yield make
    for model in built:
        model.close()


def test_plain_completion_returns_text_usage_and_engine(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script("Yes, Quillfeather Health requires prior authorization for 72148 [1].")

    result = make_model().complete(QUESTION, max_tokens=64)

    assert result.text == "Yes, Quillfeather Health requires prior authorization for 72148 [1]."
    assert (result.engine, result.model, result.finish_reason) == ("openai", "fake-gpt", "stop")
    assert result.prompt_tokens == len(fake_openai.requests[0].prompt_text.split())
    assert result.completion_tokens == 9 and not result.tokens_estimated
    assert result.latency_ms > 0 and result.parsed is None
    sent = fake_openai.requests[0].body
    assert sent["messages"] == [m.model_dump() for m in QUESTION]
    assert (sent["temperature"], sent["max_tokens"], sent["model"]) == (0.0, 64, "fake-gpt")
    assert fake_openai.requests[0].headers["authorization"] == "Bearer test-key"


def test_tokens_are_counted_with_tiktoken_when_the_server_sends_no_usage(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply("No prior authorization is needed for 72100 [2].", usage=False))

    result = make_model().complete(QUESTION)

    assert result.tokens_estimated
    assert result.completion_tokens == count_tokens(result.text)
    assert result.prompt_tokens > sum(count_tokens(m.content) for m in QUESTION)


def test_stream_yields_deltas_then_a_result_with_usage(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    answer = "Yes, send the last six weeks of physical therapy notes [1]."
    fake_openai.script(answer)

    stream = make_model().stream(QUESTION)
    deltas = list(stream)

    assert len(deltas) > 5 and "".join(deltas) == answer
    assert stream.result is not None and stream.result.text == answer
    assert stream.result.completion_tokens == len(answer.split())
    assert not stream.result.tokens_estimated
    request = fake_openai.requests[0]
    assert request.stream and request.body["stream_options"] == {"include_usage": True}


def test_stream_without_usage_estimates_tokens(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply("The knowledge base does not answer this.", usage=False))

    result = make_model().stream(QUESTION).collect()

    assert result.tokens_estimated and result.completion_tokens == count_tokens(result.text)


def test_structured_output_is_requested_by_schema_and_parsed(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply(json={"verdict": "yes"}))

    result = make_model().complete(QUESTION, response_model=EntailmentVerdict)

    assert result.parsed_as(EntailmentVerdict) == EntailmentVerdict(verdict="yes")
    response_format = fake_openai.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "EntailmentVerdict"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["properties"]["verdict"]["enum"] == [
        "yes",
        "no",
    ]


def test_invalid_json_is_retried_once_with_the_validation_error(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(
        FakeReply(json={"status": "approved", "snippet": 1}),
        FakeReply(json={"status": "met", "snippet": 1, "reason": "Snippet 1 shows PT."}),
    )

    result = make_model().complete(QUESTION, response_model=ItemAssessment)

    assert result.parsed_as(ItemAssessment).status == "met"
    assert result.attempts == 2
    first, second = fake_openai.requests
    assert result.prompt_tokens == len(first.prompt_text.split()) + len(second.prompt_text.split())
    repair = second.messages[-2:]
    assert repair[0] == {"role": "assistant", "content": '{"status": "approved", "snippet": 1}'}
    assert repair[1]["role"] == "user"
    assert "status" in repair[1]["content"] and "reason" in repair[1]["content"]
    assert "approved" not in repair[1]["content"]  # errors are described, inputs not echoed


def test_structured_output_gives_up_with_a_clear_error(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script("Sure! The verdict is yes.", "```\nyes\n```")

    with pytest.raises(InvalidModelOutput) as raised:
        make_model().complete(QUESTION, response_model=EntailmentVerdict)

    assert isinstance(raised.value, UpstreamUnavailable)  # callers fall back on it
    assert "EntailmentVerdict" in raised.value.reason
    assert raised.value.details["attempts"] == 2
    assert "yes" not in str(raised.value.details)  # no model output in error details
    assert len(fake_openai.requests) == 2


def test_structured_retries_are_configurable(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script("not json")

    with pytest.raises(InvalidModelOutput):
        make_model(structured_retries=0).complete(QUESTION, response_model=EntailmentVerdict)

    assert len(fake_openai.requests) == 1


def test_fenced_json_from_a_small_model_is_accepted(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script('```json\n{"verdict": "no"}\n```')

    result = make_model().complete(QUESTION, response_model=EntailmentVerdict)

    assert result.parsed_as(EntailmentVerdict).verdict == "no" and result.attempts == 1


def test_server_errors_are_retried_with_growing_backoff(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.error(500), FakeReply.error(503), "Recovered.")
    waits: list[float] = []

    result = make_model(sleep=waits.append).complete(QUESTION)

    assert result.text == "Recovered." and len(fake_openai.requests) == 3
    assert 0.005 <= waits[0] <= 0.01 and 0.01 <= waits[1] <= 0.02


def test_rate_limit_waits_as_long_as_retry_after_says(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.rate_limited(retry_after="1"), "After the pause.")

    started = time.perf_counter()
    result = make_model().complete(QUESTION)

    assert result.text == "After the pause."
    assert time.perf_counter() - started >= 0.95


def test_a_retry_after_beyond_the_limit_gives_up_at_once(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.rate_limited(retry_after="600"))

    with pytest.raises(UpstreamUnavailable, match="rate limiting") as raised:
        make_model().complete(QUESTION)

    assert raised.value.details["status"] == 429 and len(fake_openai.requests) == 1


def test_retries_exhausted_raise_upstream_unavailable_not_an_sdk_error(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(*[FakeReply.error(502)] * 3)

    with pytest.raises(UpstreamUnavailable) as raised:
        make_model(max_retries=2).complete(QUESTION)

    assert type(raised.value) is UpstreamUnavailable
    assert raised.value.reason == "the LLM server failed with HTTP 502"
    assert raised.value.details["attempts"] == 3
    assert raised.value.__cause__ is None


def test_timeout_becomes_upstream_unavailable(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.slow(3.0))

    started = time.perf_counter()
    with pytest.raises(UpstreamUnavailable, match=r"did not answer within 0\.3 s"):
        make_model(timeout_s=0.3, max_retries=0).complete(QUESTION)

    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    "failure", [FakeReply.dropped(), FakeReply.malformed()], ids=["dropped", "malformed"]
)
def test_a_dropped_or_malformed_reply_is_retried(
    fake_openai: FakeOpenAI, make_model: ModelFactory, failure: FakeReply
) -> None:
    fake_openai.script(failure, "Second try worked.")

    assert make_model().complete(QUESTION).text == "Second try worked."
    assert len(fake_openai.requests) == 2


def test_malformed_replies_surface_with_a_reason(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(*[FakeReply.malformed()] * 2)

    with pytest.raises(UpstreamUnavailable, match="malformed reply"):
        make_model(max_retries=1).complete(QUESTION)


def test_refused_credentials_are_not_retried(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.error(401, "invalid api key"))

    with pytest.raises(UpstreamUnavailable, match=r"refused the API key \(HTTP 401\)"):
        make_model().complete(QUESTION)

    assert len(fake_openai.requests) == 1


def test_a_stream_that_fails_to_start_is_retried(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply.error(500), FakeReply.dropped(), "Streamed after retries.")

    assert make_model().stream(QUESTION).collect().text == "Streamed after retries."
    assert len(fake_openai.requests) == 3


def test_a_stream_cut_short_raises_upstream_unavailable(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.script(FakeReply("one two three four five six", drop_after_chunks=3))
    received: list[str] = []

    with pytest.raises(UpstreamUnavailable, match="stream broke off"):
        for delta in make_model().stream(QUESTION):
            received.append(delta)

    assert "".join(received) == "one two "


def test_breaker_opens_after_consecutive_failures_and_fails_fast(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown_s=60)
    model = make_model(breaker=breaker, max_retries=0)
    fake_openai.script(*[FakeReply.error(500)] * 3)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
            model.complete(QUESTION)

    started = time.perf_counter()
    with pytest.raises(UpstreamUnavailable, match="circuit open") as raised:
        model.complete(QUESTION)

    assert time.perf_counter() - started < 0.05
    assert raised.value.details["breaker"] == "open"
    assert len(fake_openai.requests) == 3  # the fourth call never reached the server
    assert breaker.state is BreakerState.OPEN


def test_breaker_half_opens_after_cooldown_and_closes_on_success(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    breaker = CircuitBreaker(failure_threshold=2, cooldown_s=0.2)
    model = make_model(breaker=breaker, max_retries=0)
    fake_openai.script(FakeReply.error(503), FakeReply.error(503), "Back again.")
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            model.complete(QUESTION)
    assert breaker.state is BreakerState.OPEN

    time.sleep(0.25)

    assert breaker.state is BreakerState.HALF_OPEN
    assert model.complete(QUESTION).text == "Back again."
    assert breaker.state is BreakerState.CLOSED


def test_a_failed_probe_opens_the_breaker_again(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    breaker = CircuitBreaker(failure_threshold=1, cooldown_s=0.2)
    model = make_model(breaker=breaker, max_retries=0)
    fake_openai.script(FakeReply.error(500), FakeReply.dropped())
    with pytest.raises(UpstreamUnavailable):
        model.complete(QUESTION)
    time.sleep(0.25)

    with pytest.raises(UpstreamUnavailable, match="could not reach"):
        model.complete(QUESTION)

    assert breaker.state is BreakerState.OPEN
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        model.complete(QUESTION)
    assert len(fake_openai.requests) == 2


def test_closing_a_stream_early_leaves_the_adapter_usable(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    model = make_model()
    fake_openai.script("a long answer that the reader abandons after one word", "Next.")

    with model.stream(QUESTION) as stream:
        first = next(stream)

    assert first == "" or first.strip()
    assert model.complete(QUESTION).text == "Next."


def test_concurrent_callers_share_one_adapter(
    fake_openai: FakeOpenAI, make_model: ModelFactory
) -> None:
    fake_openai.respond_with(lambda request: request.prompt_text.split()[-1])
    model = make_model()

    def ask(case: int) -> str:
        message = ChatMessage(role="user", content=f"status of case C-{case}")
        return model.complete([message]).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(40)))

    assert answers == [f"C-{case}" for case in range(40)]
