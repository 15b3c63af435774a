"""Choosing the engine from `CAREDESK_LLM`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.support.fake_openai import FakeOpenAI

from caredesk.domain.errors import InputRejected
from caredesk.llm import OFFLINE, ChatMessage, ChatModel, build_chat_model
from caredesk.llm.port import parse_llm_setting
from caredesk.settings import Settings


def settings_for(llm: str, **overrides: Any) -> Settings:
    return Settings(llm=llm, _env_file=None, **overrides)


def test_offline_is_the_default_and_needs_no_model() -> None:
    assert Settings(_env_file=None).llm == OFFLINE
    assert build_chat_model(settings_for("offline")) is None


def test_openai_setting_builds_an_adapter_that_uses_base_url_and_key(
    fake_openai: FakeOpenAI,
) -> None:
    settings = settings_for(
        "openai:fake-gpt", llm_base_url=fake_openai.base_url, llm_api_key="k-123"
    )
    fake_openai.script("Hello from the configured server.")

    chat = build_chat_model(settings)

    assert isinstance(chat, ChatModel)
    try:
        assert (chat.name, chat.model) == ("openai", "fake-gpt")
        reply = chat.complete([ChatMessage(role="user", content="hi")])
        assert reply.text == "Hello from the configured server."
        assert fake_openai.requests[0].headers["authorization"] == "Bearer k-123"
    finally:
        chat.close()


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("offline", ("offline", "")),
        (" OpenAI:gpt-4o-mini ", ("openai", "gpt-4o-mini")),
        ("openai:llama3:8b", ("openai", "llama3:8b")),
        ("local:/models/a.gguf", ("local", "/models/a.gguf")),
    ],
)
def test_setting_values_parse(value: str, parsed: tuple[str, str]) -> None:
    assert parse_llm_setting(value) == parsed


@pytest.mark.parametrize("value", ["", "openai", "openai:", "gpt-4o", "anthropic:claude"])
def test_bad_setting_values_are_rejected(value: str) -> None:
    with pytest.raises(InputRejected, match="CAREDESK_LLM must be"):
        parse_llm_setting(value)


def test_a_missing_local_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="local model file not found"):
        build_chat_model(settings_for(f"local:{tmp_path / 'absent.gguf'}"))


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")

    with pytest.raises(InputRejected, match="not a GGUF model file"):
        build_chat_model(settings_for(f"local:{fake}"))
