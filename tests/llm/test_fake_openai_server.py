"""The fake chat-completions server speaks the protocol the real SDK expects, tool calls too."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from tests.support.fake_openai import FakeOpenAI, FakeReply, RecordedRequest

from caredesk.domain.llm import ItemAssessment


@pytest.fixture
def sdk(fake_openai: FakeOpenAI) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0)
    yield client
    client.close()


def test_models_are_listed(sdk: openai.OpenAI) -> None:
    assert [model.id for model in sdk.models.list()] == ["fake-gpt"]


def test_tool_calls_come_back_in_the_protocol_shape(
    fake_openai: FakeOpenAI, sdk: openai.OpenAI
) -> None:
    fake_openai.script(FakeReply.tool_call("lookup_policy", payer="quillfeather", code="72148"))

    reply = sdk.chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "PA for 72148?"}]
    )

    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "lookup_policy"  # type: ignore[union-attr]
    assert call.function.arguments == '{"payer": "quillfeather", "code": "72148"}'  # type: ignore[union-attr]


def test_streamed_tool_calls_arrive_as_deltas(fake_openai: FakeOpenAI, sdk: openai.OpenAI) -> None:
    fake_openai.script(FakeReply.tool_call("list_missing_items", case_id="C-1"))

    chunks = list(
        sdk.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "go"}], stream=True
        )
    )

    calls = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert calls[0][0].function.name == "list_missing_items"  # type: ignore[union-attr]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_unscripted_json_schema_requests_get_a_fitting_object(
    fake_openai: FakeOpenAI,
) -> None:
    schema = ItemAssessment.model_json_schema()
    response_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    body = {"model": "m", "messages": [], "response_format": response_format}

    reply = httpx.post(f"{fake_openai.base_url}/chat/completions", json=body).json()

    ItemAssessment.model_validate_json(reply["choices"][0]["message"]["content"])


def test_a_responder_sees_each_request_and_requests_are_recorded(
    fake_openai: FakeOpenAI, sdk: openai.OpenAI
) -> None:
    def echo_case(request: RecordedRequest) -> str:
        return f"you sent {len(request.messages)} messages"

    fake_openai.respond_with(echo_case)
    for case in ("CASE-1", "CASE-2"):
        sdk.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": f"about {case}"}]
        )

    assert [r.prompt_text for r in fake_openai.requests] == ["about CASE-1", "about CASE-2"]
    assert "CASE-1" not in fake_openai.requests[1].prompt_text


def test_errors_carry_status_and_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(FakeReply.rate_limited("7"))

    reply = httpx.post(f"{fake_openai.base_url}/chat/completions", json={"messages": []})

    assert reply.status_code == 429 and reply.headers["retry-after"] == "7"
    assert reply.json()["error"]["message"] == "rate limit reached"
