"""Adapter for any OpenAI-compatible chat server (OpenAI, Azure, vLLM, llama.cpp, Ollama)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, ValidationError

from caredesk.domain.errors import UpstreamUnavailable
from caredesk.knowledge.tokens import count_tokens
from caredesk.llm.breaker import CircuitBreaker
from caredesk.llm.port import (
    DEFAULT_MAX_TOKENS,
    OPENAI,
    ChatMessage,
    ChatStream,
    InvalidModelOutput,
    LLMResult,
    estimate_prompt_tokens,
)
from caredesk.llm.retry import AttemptError, RetryPolicy, call_with_retries
from caredesk.llm.structured import (
    describe_errors,
    json_schema_format,
    parse_reply,
    repair_messages,
)

if TYPE_CHECKING:
    from openai import Stream

    from caredesk.settings import Settings

R = TypeVar("R")
_NOT_RETRIED = {400: "rejected the request", 401: "refused the API key", 403: "refused access"}


@dataclass
class _Reply:
    """One reply from the server, with token counts (estimated when the server sent none)."""

    text: str
    finish_reason: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool


@dataclass
class _StreamState:
    finish_reason: str | None = None
    model: str = ""
    usage: Any = None


class OpenAICompatModel:
    """A `ChatModel` speaking the chat-completions protocol through the `openai` SDK.

    The SDK's own retries are off: retries, backoff and the circuit breaker are ours, so every
    failure surfaces as `UpstreamUnavailable` with a reason and never as an SDK type.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str = "",
        api_key: str = "",
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        structured_retries: int = 1,
        engine: str = OPENAI,
        model_label: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._model = model
        self._engine = engine
        self._label = model_label
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._breaker = breaker or CircuitBreaker()
        self._structured_retries = structured_retries
        self._sleep = sleep
        self._client = openai.OpenAI(
            base_url=base_url or None,
            # Local servers need no key, but the SDK refuses to start without one.
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "no-key",
            timeout=timeout_s,
            max_retries=0,
        )

    @classmethod
    def from_settings(cls, model: str, settings: Settings, **overrides: Any) -> OpenAICompatModel:
        """The adapter configured by `CAREDESK_LLM_*` settings."""
        options: dict[str, Any] = {
            "base_url": settings.llm_base_url,
            "api_key": settings.llm_api_key,
            "timeout_s": settings.llm_timeout_s,
            "retry": RetryPolicy(max_retries=settings.llm_max_retries),
            "breaker": CircuitBreaker(
                failure_threshold=settings.llm_breaker_failures,
                cooldown_s=settings.llm_breaker_cooldown_s,
            ),
            "structured_retries": settings.llm_structured_retries,
        }
        return cls(model, **(options | overrides))

    @property
    def name(self) -> str:
        return self._engine

    @property
    def model(self) -> str:
        return self._label or self._model

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        response_model: type[BaseModel] | None = None,
    ) -> LLMResult:
        started = time.perf_counter()
        if response_model is None:
            reply = self._create(messages, temperature, max_tokens, None)
            return self._result([reply], started)
        return self._complete_structured(messages, temperature, max_tokens, response_model, started)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> ChatStream:
        started = time.perf_counter()
        request = self._request(messages, temperature, max_tokens, None)
        request |= {"stream": True, "stream_options": {"include_usage": True}}
        opened = self._call(lambda: self._open_stream(request))
        state = _StreamState()

        def finish(text: str) -> LLMResult:
            return self._result([self._stream_reply(text, messages, state)], started)

        stream, first = opened
        return ChatStream(self._deltas(stream, first, state), finish, release=stream.close)

    def close(self) -> None:
        self._client.close()

    # --- structured output ---------------------------------------------------------------

    def _complete_structured(
        self,
        messages: Sequence[ChatMessage],
        temperature: float,
        max_tokens: int,
        response_model: type[BaseModel],
        started: float,
    ) -> LLMResult:
        response_format = json_schema_format(response_model)
        conversation = list(messages)
        replies: list[_Reply] = []
        while True:
            reply = self._create(conversation, temperature, max_tokens, response_format)
            replies.append(reply)
            try:
                parsed = parse_reply(reply.text, response_model)
            except ValidationError as error:
                if len(replies) > self._structured_retries:
                    raise self._invalid_output(response_model, replies, error) from None
                conversation = repair_messages(conversation, reply.text, error)
                continue
            return self._result(replies, started, parsed)

    def _invalid_output(
        self, response_model: type[BaseModel], replies: list[_Reply], error: ValidationError
    ) -> InvalidModelOutput:
        return InvalidModelOutput(
            f"the model's reply did not fit {response_model.__name__} "
            f"after {len(replies)} attempts",
            schema=response_model.__name__,
            attempts=len(replies),
            errors=describe_errors(error),
            prompt_tokens=sum(r.prompt_tokens for r in replies),
            completion_tokens=sum(r.completion_tokens for r in replies),
        )

    # --- one request -----------------------------------------------------------------------

    def _request(
        self,
        messages: Sequence[ChatMessage],
        temperature: float,
        max_tokens: int,
        response_format: dict[str, Any] | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if response_format is not None:
            request["response_format"] = response_format
        return request

    def _create(
        self,
        messages: Sequence[ChatMessage],
        temperature: float,
        max_tokens: int,
        response_format: dict[str, Any] | None,
    ) -> _Reply:
        request = self._request(messages, temperature, max_tokens, response_format)
        return self._call(lambda: self._attempt(request, messages))

    def _call(self, attempt: Callable[[], R]) -> R:
        return call_with_retries(
            attempt, policy=self._retry, breaker=self._breaker, sleep=self._sleep
        )

    def _attempt(self, request: dict[str, Any], messages: Sequence[ChatMessage]) -> _Reply:
        try:
            completion = self._client.chat.completions.create(**request)
        except (openai.OpenAIError, ValueError) as error:
            raise self._failure(error) from None
        if not isinstance(completion, ChatCompletion) or not completion.choices:
            raise AttemptError(
                "the LLM server sent a reply without choices", retriable=True, error_type="empty"
            )
        return self._reply(completion, messages)

    def _reply(self, completion: ChatCompletion, messages: Sequence[ChatMessage]) -> _Reply:
        choice = completion.choices[0]
        text = choice.message.content or ""
        usage = completion.usage
        return _Reply(
            text=text,
            finish_reason=choice.finish_reason or "stop",
            model=completion.model or self._model,
            prompt_tokens=usage.prompt_tokens if usage else estimate_prompt_tokens(messages),
            completion_tokens=usage.completion_tokens if usage else count_tokens(text),
            estimated=usage is None,
        )

    def _result(
        self, replies: list[_Reply], started: float, parsed: BaseModel | None = None
    ) -> LLMResult:
        last = replies[-1]
        return LLMResult(
            text=last.text,
            parsed=parsed,
            engine=self._engine,
            model=self._label or last.model,
            prompt_tokens=sum(r.prompt_tokens for r in replies),
            completion_tokens=sum(r.completion_tokens for r in replies),
            latency_ms=(time.perf_counter() - started) * 1000,
            finish_reason=last.finish_reason,
            attempts=len(replies),
            tokens_estimated=any(r.estimated for r in replies),
        )

    # --- streaming -------------------------------------------------------------------------

    def _open_stream(
        self, request: dict[str, Any]
    ) -> tuple[Stream[ChatCompletionChunk], ChatCompletionChunk | None]:
        # The first chunk is read inside the attempt so that a server that accepts the
        # request and then drops it is retried like any other failed attempt.
        try:
            stream: Stream[ChatCompletionChunk] = self._client.chat.completions.create(**request)
            return stream, next(stream, None)
        except (openai.OpenAIError, ValueError) as error:
            raise self._failure(error) from None

    def _deltas(
        self,
        stream: Stream[ChatCompletionChunk],
        first: ChatCompletionChunk | None,
        state: _StreamState,
    ) -> Generator[str, None, None]:
        try:
            chunk = first
            while chunk is not None:
                yield from _absorb(chunk, state)
                chunk = next(stream, None)
        except (openai.OpenAIError, ValueError) as error:
            self._breaker.record_failure()
            failed = self._failure(error)
            raise UpstreamUnavailable(
                f"the LLM stream broke off: {failed.reason}", error_type=failed.error_type
            ) from None
        finally:
            stream.close()
        if state.finish_reason is None:
            raise UpstreamUnavailable("the LLM stream ended before the reply was finished")

    def _stream_reply(
        self, text: str, messages: Sequence[ChatMessage], state: _StreamState
    ) -> _Reply:
        usage = state.usage
        return _Reply(
            text=text,
            finish_reason=state.finish_reason or "stop",
            model=state.model or self._model,
            prompt_tokens=usage.prompt_tokens if usage else estimate_prompt_tokens(messages),
            completion_tokens=usage.completion_tokens if usage else count_tokens(text),
            estimated=usage is None,
        )

    # --- failures --------------------------------------------------------------------------

    def _failure(self, error: Exception) -> AttemptError:
        kind = type(error).__name__
        if isinstance(error, openai.APITimeoutError):
            reason = f"the LLM server did not answer within {self._timeout_s:g} s"
            return AttemptError(reason, retriable=True, error_type=kind)
        if isinstance(error, openai.APIConnectionError):
            return AttemptError("could not reach the LLM server", retriable=True, error_type=kind)
        if isinstance(error, openai.APIStatusError):
            return _status_failure(error.status_code, error.response.headers, kind, self._model)
        return AttemptError(
            "the LLM server sent a malformed reply", retriable=True, error_type=kind
        )


def _absorb(chunk: ChatCompletionChunk, state: _StreamState) -> Generator[str, None, None]:
    if chunk.usage is not None:
        state.usage = chunk.usage
    state.model = chunk.model or state.model
    for choice in chunk.choices[:1]:
        if choice.finish_reason:
            state.finish_reason = choice.finish_reason
        if choice.delta is not None and choice.delta.content:
            yield choice.delta.content


def _status_failure(status: int, headers: Mapping[str, str], kind: str, model: str) -> AttemptError:
    if status == 429 or status >= 500 or status == 408:
        what = "is rate limiting" if status == 429 else f"failed with HTTP {status}"
        return AttemptError(
            f"the LLM server {what}",
            retriable=True,
            retry_after_s=_retry_after_s(headers),
            status=status,
            error_type=kind,
        )
    if status == 404:
        reason = f"the LLM server does not know model {model!r} (HTTP 404)"
    else:
        what = _NOT_RETRIED.get(status, "refused the request")
        reason = f"the LLM server {what} (HTTP {status})"
    return AttemptError(reason, retriable=False, status=status, error_type=kind)


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The pause a server asked for, from `retry-after-ms` or `retry-after` (seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
