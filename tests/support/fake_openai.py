"""Stand-in for a hosted LLM: a real HTTP server on 127.0.0.1 speaking the chat-completions API.

Tests script what it answers (a queue of `FakeReply`, or a responder function), inject
failures (HTTP errors, 429 with Retry-After, slow replies, malformed bodies, dropped
connections, streams cut short) and read back every request it received, so the real `openai`
SDK code path runs end to end. Use it through the `fake_openai` fixture:

    def test_something(fake_openai):
        fake_openai.script(FakeReply("Yes [1]."), FakeReply.error(500))
        ... OpenAICompatModel(fake_openai.model, base_url=fake_openai.base_url) ...
        assert "Quillfeather" in fake_openai.requests[0].prompt_text
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAKE_MODEL = "fake-gpt"
DEFAULT_TEXT = "This is a fake reply."


@dataclass(frozen=True)
class FakeToolCall:
    """A function call the fake model asks the client to make."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str = "call_1"

    def as_json(self, index: int | None = None) -> dict[str, Any]:
        arguments = self.arguments
        encoded = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
        call: dict[str, Any] = {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": encoded},
        }
        if index is not None:
            call["index"] = index
        return call


@dataclass(frozen=True)
class FakeReply:
    """What the fake server answers to one chat-completions request."""

    text: str | None = DEFAULT_TEXT
    json: Any = None  # when set, the reply content is this value encoded as JSON
    tool_calls: tuple[FakeToolCall, ...] = ()
    finish_reason: str | None = None  # default: "tool_calls" with tool calls, else "stop"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering (to run past a client's timeout)
    raw_body: bytes | None = None  # answer these bytes as the body, verbatim
    drop: bool = False  # close the connection without answering
    drop_after_chunks: int | None = None  # streaming: cut the stream after N events
    usage: bool = True  # include token usage

    @classmethod
    def error(
        cls, status: int = 500, message: str = "fake server error", **headers: str
    ) -> FakeReply:
        body = {"error": {"message": message, "type": "server_error", "code": status}}
        return cls(status=status, raw_body=json.dumps(body).encode(), headers=headers)

    @classmethod
    def rate_limited(cls, retry_after: str = "1") -> FakeReply:
        reply = cls.error(429, "rate limit reached")
        return cls(status=429, raw_body=reply.raw_body, headers={"Retry-After": retry_after})

    @classmethod
    def slow(cls, delay_s: float, text: str = DEFAULT_TEXT) -> FakeReply:
        return cls(text=text, delay_s=delay_s)

    @classmethod
    def malformed(cls) -> FakeReply:
        return cls(raw_body=b'{"id": "chatcmpl-broken", "choices": [')

    @classmethod
    def dropped(cls) -> FakeReply:
        return cls(drop=True)

    @classmethod
    def tool_call(cls, name: str, **arguments: Any) -> FakeReply:
        return cls(text=None, tool_calls=(FakeToolCall(name, arguments),))

    @property
    def content(self) -> str | None:
        return json.dumps(self.json) if self.json is not None else self.text

    @property
    def final_reason(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake server received."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt_text(self) -> str:
        """Every message's content, joined: what the model would have read."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def json_schema(self) -> dict[str, Any] | None:
        response_format = self.body.get("response_format") or {}
        if response_format.get("type") != "json_schema":
            return None
        return dict(response_format["json_schema"]["schema"])


Responder = Callable[[RecordedRequest], "FakeReply | str"]


class FakeOpenAI:
    """The scriptable server; `start()` it once, `reset()` it between tests."""

    model = FAKE_MODEL

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[FakeReply] = deque()
        self._responder: Responder | None = None
        self._requests: list[RecordedRequest] = []
        self._server: _Server | None = None

    def start(self) -> FakeOpenAI:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: FakeReply | str) -> None:
        """Queue replies, answered in order; a string is a plain text reply."""
        with self._lock:
            self._queue.extend(_as_reply(r) for r in replies)

    def respond_with(self, responder: Responder) -> None:
        """Answer with `responder(request)` once the queue is empty."""
        with self._lock:
            self._responder = responder

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._responder = None
            self._requests = []

    @property
    def requests(self) -> list[RecordedRequest]:
        """Chat-completions requests received since the last reset, oldest first."""
        with self._lock:
            return list(self._requests)

    def _take(self, request: RecordedRequest) -> FakeReply:
        with self._lock:
            self._requests.append(request)
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        if responder is not None:
            return _as_reply(responder(request))
        schema = request.json_schema
        return FakeReply(json=example_for(schema)) if schema is not None else FakeReply()


def _as_reply(reply: FakeReply | str) -> FakeReply:
    return reply if isinstance(reply, FakeReply) else FakeReply(text=reply)


def example_for(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> Any:
    """A small value that fits a JSON schema: what a compliant model could answer."""
    root = root or schema
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return example_for(root["$defs"][name], root)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example_for(schema["anyOf"][0], root)
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        return {k: example_for(v, root) for k, v in properties.items()}
    return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind)


class _Server(ThreadingHTTPServer):
    """Threaded server that takes clients hanging up (timeouts, closed streams) in its stride."""

    block_on_close = False  # slow handlers must not hold up shutdown
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Serves one connection; keep-alive like a real server (HTTP/1.1)."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    # Headers and body go out in separate writes; with Nagle on, each reply waits ~40 ms for
    # the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    @property
    def fake(self) -> FakeOpenAI:
        server = self.server
        assert isinstance(server, _Server)
        return server.fake

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            model = {"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "tests"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest("POST", self.path, headers, body)
        try:
            self._answer(request, self.fake._take(request))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    def _answer(self, request: RecordedRequest, reply: FakeReply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.drop:
            self.close_connection = True
            return
        if reply.raw_body is not None:
            self._send_bytes(reply.status, reply.raw_body, reply.headers)
        elif request.stream:
            self._send_stream(request, reply)
        else:
            self._send_json(reply.status, _completion(request, reply), reply.headers)

    def _send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), headers or {})

    def _send_bytes(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, request: RecordedRequest, reply: FakeReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, event in enumerate(_stream_events(request, reply)):
            if reply.drop_after_chunks is not None and index >= reply.drop_after_chunks:
                self.close_connection = True  # no terminating chunk: the client sees a cut
                return
            self._write_chunk(f"data: {json.dumps(event)}\n\n")
        self._write_chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _usage(request: RecordedRequest, completion_text: str) -> dict[str, int]:
    # Word counts stand in for tokens: deterministic, and different from tiktoken's counts,
    # so tests can tell server usage from local estimates.
    prompt = len(request.prompt_text.split())
    completion = len(completion_text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(request: RecordedRequest, reply: FakeReply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [call.as_json() for call in reply.tool_calls]
    payload: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": FAKE_MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.final_reason}],
    }
    if reply.usage:
        payload["usage"] = _usage(request, reply.content or "")
    return payload


def _stream_events(request: RecordedRequest, reply: FakeReply) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": FAKE_MODEL,
            "choices": [choice],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*|\s+", reply.content or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        yield chunk({"tool_calls": [call.as_json(index)]})
    yield chunk({}, reply.final_reason)
    include_usage = (request.body.get("stream_options") or {}).get("include_usage")
    if reply.usage and include_usage:
        usage_event = chunk({})
        usage_event["choices"] = []
        usage_event["usage"] = _usage(request, reply.content or "")
        yield usage_event


@pytest.fixture(scope="session")
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """One fake server per test session (per xdist worker)."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The session's fake server with an empty script and request log."""
    fake_openai_server.reset()
    yield fake_openai_server
    fake_openai_server.reset()
