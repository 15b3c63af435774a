"""The copilot over HTTP: ask, stream (server-sent events), threads, roles and the audit log."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.copilot.conftest import ClientFactory
from tests.copilot.support import users_with_tokens
from tests.support.fake_openai import FakeOpenAI, FakeReply, RecordedRequest

from caredesk.api.resources import Resources
from caredesk.audit.log import iter_events
from caredesk.domain.audit import FORBIDDEN_DETAIL_KEYS
from caredesk.domain.roles import Role

pytestmark = pytest.mark.xdist_group("copilot")

PA_QUESTION = {
    "question": "Does Quillfeather require prior authorization for CPT 72148?",
    "as_of": "2026-02-01",
}


def parse_sse(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_answers_stores_a_thread_and_audits(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    response = client.post("/api/copilot/ask", json=PA_QUESTION, headers=auth[Role.COORDINATOR])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"].startswith("No")
    assert (body["engine"], body["prompt"], body["abstained"]) == (
        "offline",
        "copilot.offline@1",
        False,
    )
    assert body["citations"][0]["doc_id"] == "quillfeather-advanced-imaging"
    assert body["citations"][0]["version"] == "2026.1"
    thread = client.get(f"/api/copilot/threads/{body['thread_id']}", headers=auth[Role.COORDINATOR])
    messages = thread.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["text"] == PA_QUESTION["question"]
    assert messages[1]["citations"][0]["quote"] == body["citations"][0]["quote"]
    assert messages[1]["prompt"] == "copilot.offline@1" and messages[1]["confidence"] > 0.9
    with resources.read_db() as session:
        events = list(iter_events(session, action="copilot.answer"))
    assert len(events) == 1
    details = events[0].details
    assert events[0].object_id == body["message_id"]
    assert details["prompt"] == "copilot.offline@1" and details["engine"] == "offline"
    assert details["thread_id"] == body["thread_id"] and details["abstained"] is False
    assert details["sources"] and details["confidence"] == body["confidence"]
    assert not FORBIDDEN_DETAIL_KEYS & set(details)
    assert PA_QUESTION["question"] not in json.dumps(details)
    assert body["citations"][0]["quote"] not in json.dumps(details)


def test_a_follow_up_goes_into_the_same_thread(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    first = client.post("/api/copilot/ask", json=PA_QUESTION, headers=auth[Role.REVIEWER]).json()
    follow_up = {"question": "How long can Tumbleweed take on a standard imaging request?"}
    second = client.post(
        "/api/copilot/ask",
        json=follow_up | {"thread_id": first["thread_id"]},
        headers=auth[Role.REVIEWER],
    ).json()
    assert second["thread_id"] == first["thread_id"]
    assert "15 calendar days" in second["answer"]
    listed = client.get("/api/copilot/threads", headers=auth[Role.REVIEWER]).json()
    assert [(t["id"], t["message_count"]) for t in listed] == [(first["thread_id"], 4)]


def test_threads_are_private_to_their_owner(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    other = users_with_tokens(resources, ("dana", Role.COORDINATOR))["dana"]
    mine = client.post("/api/copilot/ask", json=PA_QUESTION, headers=auth[Role.COORDINATOR])
    thread_id = mine.json()["thread_id"]
    assert client.get(f"/api/copilot/threads/{thread_id}", headers=other).status_code == 404
    assert client.get("/api/copilot/threads", headers=other).json() == []
    posted = client.post(
        "/api/copilot/ask", json=PA_QUESTION | {"thread_id": thread_id}, headers=other
    )
    assert posted.status_code == 404
    admin = client.get(f"/api/copilot/threads/{thread_id}", headers=auth[Role.ADMIN])
    assert admin.status_code == 200  # support may read any thread


def test_only_case_workers_may_ask(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    assert client.post("/api/copilot/ask", json=PA_QUESTION).status_code == 401
    refused = client.post("/api/copilot/ask", json=PA_QUESTION, headers=auth[Role.INTAKE])
    assert refused.status_code == 403


def test_bad_questions_are_422(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    headers = auth[Role.COORDINATOR]
    for body in (
        {"question": ""},
        {"question": "Does 72148 need PA?", "payer": "Bramblecrest"},
        {"question": "Does 72148 need PA?", "as_of": "2026-02-30"},
        {"question": "x", "surprise": 1},
    ):
        assert client.post("/api/copilot/ask", json=body, headers=headers).status_code == 422


def test_an_unknown_case_is_404(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    body = PA_QUESTION | {"case_id": "case_doesnotexist"}
    response = client.post("/api/copilot/ask", json=body, headers=auth[Role.COORDINATOR])
    assert response.status_code == 404


def test_the_offline_stream_sends_tokens_then_the_answer(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    response = client.post(
        "/api/copilot/ask/stream", json=PA_QUESTION, headers=auth[Role.COORDINATOR]
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert [kind for kind, _ in events] == ["token", "token", "answer"]
    answer = events[-1][1]
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    assert streamed.strip() == answer["answer"]
    assert answer["engine"] == "offline" and answer["thread_id"] and answer["message_id"]


def test_the_model_stream_end_to_end(
    llm_resources: Resources, open_client: ClientFactory, fake_openai: FakeOpenAI
) -> None:
    headers = users_with_tokens(llm_resources, ("ann", Role.COORDINATOR))["ann"]
    client = open_client(llm_resources)

    def reply(request: RecordedRequest) -> str:
        found = re.search(
            r'<source n="(\d+)" doc="quillfeather-advanced-imaging@2026.1" '
            r'section="Codes that do not require prior authorization">',
            request.prompt_text,
        )
        assert found is not None
        return f"No, Quillfeather does not require prior authorization for 72148 [{found[1]}]."

    fake_openai.respond_with(reply)
    response = client.post("/api/copilot/ask/stream", json=PA_QUESTION, headers=headers)
    events = parse_sse(response.text)
    assert [kind for kind, _ in events] == ["token", "answer"]
    answer = events[-1][1]
    assert answer["engine"] == "openai" and answer["prompt"] == "copilot.ask@1"
    assert answer["answer"].startswith("No, Quillfeather does not require")
    assert answer["citations"][0]["version"] == "2026.1"
    thread = client.get(f"/api/copilot/threads/{answer['thread_id']}", headers=headers).json()
    assert thread["messages"][1]["engine"] == "openai"


def test_a_failing_model_streams_the_offline_answer(
    llm_resources: Resources, open_client: ClientFactory, fake_openai: FakeOpenAI
) -> None:
    headers = users_with_tokens(llm_resources, ("ann", Role.COORDINATOR))["ann"]
    client = open_client(llm_resources)
    fake_openai.respond_with(lambda _request: FakeReply.error(503))
    response = client.post("/api/copilot/ask/stream", json=PA_QUESTION, headers=headers)
    events = parse_sse(response.text)
    assert events[-1][0] == "answer"
    assert events[-1][1]["engine"] == "offline-fallback"
    assert events[-1][1]["answer"].startswith("No")
