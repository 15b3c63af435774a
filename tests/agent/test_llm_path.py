"""The LLM path against a real HTTP chat-completions server (the fake): assessments checked
by the rules, hallucinations rejected, obedience to planted orders caught, failures survived."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from tests.agent.support import (
    COORDINATOR,
    ReadBundle,
    audit_events,
    deps_for,
    limits,
    open_bundle_case,
)
from tests.copilot.support import llm_settings
from tests.support.fake_openai import FakeOpenAI, FakeReply, RecordedRequest

from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.api.resources import Resources
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.review.records import get_draft
from caredesk.settings import Settings
from caredesk.worklist.assessments import latest_assessment

Bundles = Callable[[str], ReadBundle]
Answer = Callable[[RecordedRequest], FakeReply]
NARRATIVE = (
    "The patient is referred for in-lab polysomnography for suspected obstructive sleep "
    "apnea. The notes document symptoms, a sleepiness score and why home testing is not enough."
)


@pytest.fixture
def llm_resources(
    settings: Settings, sentence_model: MiniLmEmbedder, fake_openai: FakeOpenAI
) -> Iterator[Resources]:
    built = Resources.build(llm_settings(settings, fake_openai), embedder=sentence_model)
    yield built
    built.close()


def is_assessment(request: RecordedRequest) -> bool:
    return "checklist item" in request.prompt_text and request.json_schema is not None


def answering(assess: Callable[[RecordedRequest], dict[str, object]]) -> Answer:
    def reply(request: RecordedRequest) -> FakeReply:
        if is_assessment(request):
            return FakeReply(json=assess(request))
        return FakeReply(NARRATIVE)

    return reply


def snippet_count(request: RecordedRequest) -> int:
    return len(re.findall(r'<snippet n="\d+">', request.prompt_text))


def agreeing(request: RecordedRequest) -> dict[str, object]:
    return {"status": "met", "snippet": 1, "reason": "Snippet 1 shows it."}


def run(resources: Resources, case_id: str, **changes: object) -> dict:  # type: ignore[type-arg]
    done = start_and_run(deps_for(resources, **changes), case_id, COORDINATOR)
    with resources.read_db() as session:
        return result_json(session, done.id)


def test_a_model_that_agrees_with_the_rules(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(answering(agreeing))
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id)
    assert result["engine"] == "openai"
    assert {item["status"] for item in result["checklist"]} == {"met"}
    assert result["routing"]["route"] == "ready"
    asked = [r for r in fake_openai.requests if is_assessment(r)]
    assert len(asked) == 3  # the keyword items; field items and the identity check are rules
    assert all(1 <= snippet_count(r) <= 6 for r in asked)
    with llm_resources.read_db() as session:
        assessed = latest_assessment(session, case_id)
        summary = get_draft(session, result["drafts"][0]["id"])
    assert assessed is not None and assessed.provenance.prompt == "agent.assess_item@1"
    assert assessed.provenance.model == fake_openai.model
    assert summary.provenance.prompt == "agent.summary@1"
    assert summary.provenance.engine == "openai"
    assert NARRATIVE in summary.content and "Documentation against" in summary.content
    assert result["budget"]["used"]["llm_calls"] == 4
    assert result["budget"]["used"]["tokens"] > 0
    steps = {e.details["node"]: e.details for e in audit_events(llm_resources, "agent.step")}
    assert steps["assess"]["prompts"] == ["agent.assess_item@1", "rules.assess@1"]
    assert steps["assess"]["engine"] == "openai" and steps["assess"]["model"] == "fake-gpt"
    assert "agent.summary@1" in steps["draft_summary"]["prompts"]


def test_a_snippet_the_model_was_not_sent_is_rejected(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(
        answering(lambda r: {"status": "met", "snippet": snippet_count(r) + 3, "reason": "x"})
    )
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id)
    checked = [i for i in result["checklist"] if "model answer rejected" in i["rationale"]]
    assert len(checked) == 3 and all(i["status"] == "unclear" for i in checked)
    assert "but only" in checked[0]["rationale"]
    assert result["routing"]["route"] == "review"


def test_a_model_obeying_a_planted_order_cannot_mark_anything_met(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    """The fake obeys "mark everything met"; only items the rules support can end up met."""
    read = bundles("injected_partial")
    assert read.bundle.payer == "tumbleweed" and read.bundle.injected_text
    case_id, _ = open_bundle_case(llm_resources, read)
    offline = {i["id"]: i["status"] for i in run(llm_resources, case_id, chat=None)["checklist"]}
    assert offline["mobility-evaluation"] == "missing"  # one of the two terms it needs
    fake_openai.respond_with(answering(agreeing))
    result = run(llm_resources, case_id)
    with_model = {i["id"]: i["status"] for i in result["checklist"]}
    assert with_model["mobility-evaluation"] == "unclear"  # the model's "met" was caught
    assert all(offline[item] == "met" for item, status in with_model.items() if status == "met")
    assert result["routing"]["route"] == "review"
    assert any(is_assessment(r) for r in fake_openai.requests)
    assert not any(read.bundle.injected_text in r.prompt_text for r in fake_openai.requests)


def test_a_model_that_disagrees_makes_the_item_unclear(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(
        answering(lambda r: {"status": "missing", "snippet": None, "reason": "Not shown."})
    )
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id)
    disputed = [i for i in result["checklist"] if "a person must decide" in i["rationale"]]
    assert len(disputed) == 3 and {i["status"] for i in disputed} == {"unclear"}
    assert result["routing"]["route"] == "review"


def test_a_failing_model_falls_back_to_the_offline_engine(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(lambda request: FakeReply.error(503))
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id)
    assert result["status"] == "completed" and result["engine"] == "offline-fallback"
    assert {item["status"] for item in result["checklist"]} == {"met"}
    with llm_resources.read_db() as session:
        summary = get_draft(session, result["drafts"][0]["id"])
    assert summary.provenance.engine == "offline-fallback"
    assert summary.provenance.prompt == "template.summary@1"


def test_the_llm_call_limit_stops_the_run_mid_assessment(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(answering(agreeing))
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id, limits=limits(llm_calls=1))
    assert result["status"] == "budget_exceeded" and "LLM call limit" in result["error"]
    statuses = [item["status"] for item in result["checklist"]]
    assert statuses[:2] == ["met", "met"] and set(statuses[2:]) == {"unclear"}
    assert len(fake_openai.requests) == 1 and result["drafts"] == []
    assert result["routing"]["route"] == "review"


def test_the_token_limit_stops_the_run_before_the_call(
    llm_resources: Resources, bundles: Bundles, fake_openai: FakeOpenAI
) -> None:
    fake_openai.respond_with(answering(agreeing))
    case_id, _ = open_bundle_case(llm_resources, bundles("complete"))
    result = run(llm_resources, case_id, limits=limits(tokens=50))
    assert result["status"] == "budget_exceeded" and "token limit" in result["error"]
    assert fake_openai.requests == []
    assert result["budget"]["used"]["tokens"] == 0
