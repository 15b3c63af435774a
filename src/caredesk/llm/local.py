"""A local GGUF model served in-process by llama.cpp's OpenAI-compatible server (xllamacpp)."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import xllamacpp
from pydantic import BaseModel

from caredesk.domain.errors import InputRejected, UpstreamUnavailable
from caredesk.llm.openai_compat import OpenAICompatModel
from caredesk.llm.port import DEFAULT_MAX_TOKENS, LOCAL, ChatMessage, ChatStream, LLMResult
from caredesk.llm.retry import RetryPolicy

if TYPE_CHECKING:
    from caredesk.settings import Settings

_GGUF_MAGIC = b"GGUF"
_HOST = "127.0.0.1"
_START_TRIES = 2
# The default request timeout is sized for hosted APIs; a CPU model reading a long context
# and writing a full answer needs longer, and retrying a slow local call only adds load.
_LOCAL_MIN_TIMEOUT_S = 120.0


class LocalModel:
    """A `ChatModel` backed by a .gguf file; the OpenAI adapter talks to it over loopback.

    One code path serves hosted and local models: this class only starts and stops the
    server. A random API key keeps other local processes from using the model.
    """

    def __init__(
        self,
        gguf: Path,
        *,
        n_ctx: int = 4096,
        threads: int | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        startup_timeout_s: float = 60.0,
        verbose: bool = False,
    ) -> None:
        self._path = checked_gguf(gguf)
        api_key = secrets.token_urlsafe(24)
        n_threads = threads or default_threads()
        started = time.perf_counter()
        self._server: Any = None
        self._server, self._port = _start_server(
            self._path, n_ctx, n_threads, api_key, startup_timeout_s, verbose
        )
        self.startup_s = time.perf_counter() - started
        self._adapter = OpenAICompatModel(
            self._path.name,
            base_url=self.base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            retry=retry,
            engine=LOCAL,
            model_label=self._path.name,
        )

    @classmethod
    def from_settings(cls, gguf: Path, settings: Settings, **overrides: Any) -> LocalModel:
        """The local engine; `CAREDESK_LLM_TIMEOUT_S` counts, but never below 120 s."""
        options: dict[str, Any] = {
            "timeout_s": max(settings.llm_timeout_s, _LOCAL_MIN_TIMEOUT_S),
            "retry": RetryPolicy(max_retries=settings.llm_max_retries),
            "n_ctx": settings.llm_context_tokens,
            "threads": settings.llm_threads or None,
        }
        return cls(gguf.expanduser(), **(options | overrides))

    @property
    def name(self) -> str:
        return LOCAL

    @property
    def model(self) -> str:
        return self._path.name

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{_HOST}:{self._port}/v1"

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        response_model: type[BaseModel] | None = None,
    ) -> LLMResult:
        return self._adapter.complete(
            messages, temperature=temperature, max_tokens=max_tokens, response_model=response_model
        )

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> ChatStream:
        return self._adapter.stream(messages, temperature=temperature, max_tokens=max_tokens)

    def close(self) -> None:
        """Stop the server and free its port; safe to call twice."""
        if self._server is None:
            return
        self._adapter.close()
        # xllamacpp stops its HTTP loop and frees the model in the destructor, which runs
        # as soon as the last reference goes.
        self._server = None

    def __enter__(self) -> LocalModel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def default_threads() -> int:
    """Half the cores, at least one.

    llama.cpp's threads wait on each other after every layer; on a host whose cores are
    shared, a descheduled thread stalls the rest. Measured here on 2 busy cores: 64 tokens of
    SmolLM2 took 1.5-2.5 s on one thread and 8-50 s on two.
    """
    return max(1, (os.cpu_count() or 2) // 2)


def checked_gguf(path: Path) -> Path:
    """The resolved path of a readable GGUF file, else `InputRejected` saying what is wrong."""
    if not path.is_file():
        raise InputRejected(f"local model file not found: {path}", setting="llm")
    with path.open("rb") as handle:
        magic = handle.read(len(_GGUF_MAGIC))
    if magic != _GGUF_MAGIC:
        raise InputRejected(f"not a GGUF model file: {path}", setting="llm")
    return path.resolve()


def _start_server(
    path: Path, n_ctx: int, threads: int, api_key: str, timeout_s: float, verbose: bool
) -> tuple[Any, int]:
    for _ in range(_START_TRIES):
        port = _free_port()
        try:
            server = xllamacpp.Server(_params(path, n_ctx, threads, api_key, port, verbose))
        except RuntimeError:
            continue  # most likely the port was taken between probing and binding
        if _wait_healthy(port, timeout_s):
            return server, port
        del server  # the traceback would otherwise keep a half-started server alive
        raise UpstreamUnavailable(
            f"the local model server was not ready within {timeout_s:g} s", model=path.name
        )
    raise UpstreamUnavailable(f"the local model server did not start for {path.name}")


def _params(path: Path, n_ctx: int, threads: int, api_key: str, port: int, verbose: bool) -> Any:
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    for cpu in (params.cpuparams, params.cpuparams_batch):
        cpu.n_threads = threads
        cpu.poll = 0  # sleep instead of spinning while waiting: spinning starves shared cores
    params.hostnames = [_HOST]
    params.port = port
    params.api_keys = [api_key]
    params.offline = True  # never let llama.cpp fetch anything
    params.verbosity = 3 if verbose else -1
    return params


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(port: int, timeout_s: float) -> bool:
    """Poll `/health` (503 while the model loads) until it answers 200; False on timeout."""
    deadline = time.monotonic() + timeout_s
    url = f"http://{_HOST}:{port}/health"
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.05)
    return False
