"""The LLM port: chat messages in, a typed result out, whichever engine serves it."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from caredesk.domain.errors import InputRejected, UpstreamUnavailable
from caredesk.knowledge.tokens import count_tokens

if TYPE_CHECKING:
    from caredesk.settings import Settings

# Engine names as they appear in results, answers and the audit log.
OPENAI = "openai"
LOCAL = "local"
OFFLINE = "offline"
OFFLINE_FALLBACK = "offline-fallback"

DEFAULT_MAX_TOKENS = 512

# OpenAI's chat format spends a few tokens per message on role and separators; counted so
# estimates stay close to what a server would report.
_TOKENS_PER_MESSAGE = 4
_TOKENS_PER_REPLY = 3

T = TypeVar("T", bound=BaseModel)
Role = Literal["system", "user", "assistant"]


class ChatMessage(BaseModel):
    """One turn of a chat: who speaks and what they say."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class LLMResult(BaseModel):
    """What one generation produced and what it cost; recorded in the audit log."""

    model_config = ConfigDict(frozen=True)

    text: str
    parsed: SerializeAsAny[BaseModel] | None = None
    engine: str
    model: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    latency_ms: float = Field(ge=0)
    finish_reason: str
    attempts: int = Field(1, ge=1, description="Replies generated, counting structured repairs.")
    tokens_estimated: bool = Field(
        False, description="True when the server sent no usage and tiktoken counted instead."
    )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def parsed_as(self, model: type[T]) -> T:
        """The structured reply as `model`; raises if the call asked for another type."""
        if not isinstance(self.parsed, model):
            raise TypeError(f"result holds {type(self.parsed).__name__}, not {model.__name__}")
        return self.parsed


class InvalidModelOutput(UpstreamUnavailable):
    """The model kept answering with JSON that does not fit the requested schema."""

    code = "llm_invalid_output"


class ChatStream(Iterator[str]):
    """Token deltas of one streamed reply; `result` is set once the last delta has been read."""

    def __init__(
        self,
        deltas: Generator[str, None, None],
        finish: Callable[[str], LLMResult],
        release: Callable[[], None] | None = None,
    ) -> None:
        self._deltas = deltas
        self._finish = finish
        # Closing a generator that never started skips its `finally`, so the connection is
        # released separately.
        self._release = release
        self._parts: list[str] = []
        self.result: LLMResult | None = None

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        try:
            delta = next(self._deltas)
        except StopIteration:
            if self.result is None:
                self.result = self._finish("".join(self._parts))
            raise
        self._parts.append(delta)
        return delta

    def collect(self) -> LLMResult:
        """Read the rest of the stream and return the finished result."""
        for _ in self:
            pass
        assert self.result is not None  # set by __next__ when the deltas ran out
        return self.result

    def close(self) -> None:
        """Stop early and release the connection."""
        self._deltas.close()
        if self._release is not None:
            self._release()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@runtime_checkable
class ChatModel(Protocol):
    """An engine that answers chats: an OpenAI-compatible server or a local model."""

    @property
    def name(self) -> str:
        """Engine name: `openai` or `local`."""
        ...

    @property
    def model(self) -> str:
        """Model name as configured (recorded with every generation)."""
        ...

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        response_model: type[BaseModel] | None = None,
    ) -> LLMResult:
        """One whole reply; with `response_model`, parsed and validated into `result.parsed`."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> ChatStream:
        """The reply as token deltas; `stream.result` carries usage once it is exhausted."""
        ...

    def close(self) -> None:
        """Release connections (and stop a local model's server)."""
        ...


def estimate_prompt_tokens(messages: Sequence[ChatMessage]) -> int:
    """Prompt tokens as a server would count them, for servers that send no `usage`."""
    body = sum(count_tokens(m.content) + _TOKENS_PER_MESSAGE for m in messages)
    return body + _TOKENS_PER_REPLY


def parse_llm_setting(value: str) -> tuple[str, str]:
    """Split `CAREDESK_LLM` into (engine, target): `openai:<model>`, `local:<path>`, `offline`."""
    engine, _, target = value.strip().partition(":")
    engine = engine.strip().lower()
    target = target.strip()
    if engine == OFFLINE and not target:
        return OFFLINE, ""
    if engine in (OPENAI, LOCAL) and target:
        return engine, target
    raise InputRejected(
        "CAREDESK_LLM must be `offline`, `openai:<model>` or `local:<path to a .gguf file>`",
        setting="llm",
    )


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The engine `settings.llm` names, or None for the embedded offline engine."""
    engine, target = parse_llm_setting(settings.llm)
    # Adapters are imported only when chosen: the offline default never loads an SDK.
    if engine == OPENAI:
        from caredesk.llm.openai_compat import OpenAICompatModel

        return OpenAICompatModel.from_settings(target, settings)
    if engine == LOCAL:
        from caredesk.llm.local import LocalModel

        return LocalModel.from_settings(Path(target), settings)
    return None
