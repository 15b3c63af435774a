"""Document text is data; the agent only reads, only this case, and never sends or approves."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.agent.support import (
    COORDINATOR,
    ReadBundle,
    audit_events,
    deps_for,
    open_bundle_case,
)

from caredesk import agent
from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.agent.tools import ALLOWED_TOOLS, CaseTools
from caredesk.api.resources import Resources
from caredesk.domain.errors import Forbidden
from caredesk.review.records import get_draft

Bundles = Callable[[str], ReadBundle]
AGENT_DIR = Path(agent.__file__).parent


def test_an_instruction_in_the_referral_changes_nothing(
    resources: Resources, bundles: Bundles
) -> None:
    read = bundles("injected")
    assert read.bundle.injected_text and not read.bundle.injection_hidden
    case_id, _ = open_bundle_case(resources, read)
    done = start_and_run(deps_for(resources), case_id, COORDINATOR)
    with resources.read_db() as session:
        result = result_json(session, done.id)
        texts = [get_draft(session, d["id"]).content for d in result["drafts"]]
    statuses = {item["id"]: item["status"] for item in result["checklist"]}
    assert statuses["hst-result-or-contraindication"] == "missing"  # as without the order
    assert result["routing"]["route"] == "review"
    assert any("instructions to the reviewer" in r for r in result["routing"]["reasons"])
    quotes = [e["quote"] for item in result["checklist"] for e in item["evidence"]]
    order = read.bundle.injected_text
    assert quotes and not any(order in quote for quote in quotes)
    assert not any(order in text for text in texts)


def test_the_toolbox_is_the_allow_list_and_nothing_more() -> None:
    public = {
        name for name, member in inspect.getmembers(CaseTools, callable) if not name.startswith("_")
    }
    assert public == set(ALLOWED_TOOLS)
    forbidden = ("send", "approve", "reject", "delete", "edit", "write", "save", "record")
    assert not [name for name in public if name.startswith(forbidden)]


def test_tools_refuse_another_cases_documents(resources: Resources, bundles: Bundles) -> None:
    case_a, _ = open_bundle_case(resources, bundles("complete"))
    _, documents_b = open_bundle_case(resources, bundles("missing"))
    tools = CaseTools(case_a, resources.read_db, resources.kb)
    with pytest.raises(Forbidden):
        tools.extraction(documents_b[0])


def test_a_run_on_one_case_never_reads_another(resources: Resources, bundles: Bundles) -> None:
    case_a, documents_a = open_bundle_case(resources, bundles("complete"))
    _, documents_b = open_bundle_case(resources, bundles("missing"))
    done = start_and_run(deps_for(resources), case_a, COORDINATOR)
    steps = [event for event in audit_events(resources) if event.action == "agent.step"]
    sources = {source for event in steps for source in event.details["sources"]}
    assert set(documents_a) <= sources
    assert not sources & set(documents_b)
    assert {event.object_id for event in steps} == {case_a}
    assert done.status == "completed"


def _names(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_path_from_the_agent_to_sending_approving_or_deleting() -> None:
    """Structural: the agent's code names no outbox, no sign-off action, no delete."""
    modules = sorted(AGENT_DIR.glob("*.py"))
    assert len(modules) > 10
    banned = {
        "caredesk.outbox", "caredesk.outbox.send", "send", "deliver", "approve_draft",
        "reject_draft", "request_changes", "edit_draft", "delete", "delete_draft",
        "OutboxMessage", "DraftReview",
    }  # fmt: skip
    for module in modules:
        names = _names(ast.parse(module.read_text(encoding="utf-8")))
        outbox = {name for name in names if name.startswith("caredesk.outbox")}
        assert not (names & banned) and not outbox, f"{module.name}: {names & banned | outbox}"


def test_every_step_is_audited_with_prompt_engine_and_sources(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, documents = open_bundle_case(resources, bundles("complete"))
    done = start_and_run(deps_for(resources), case_id, COORDINATOR)
    events = [event for event in audit_events(resources) if event.object_id == case_id]
    actions = [(e.action, e.details.get("node")) for e in events]
    assert actions[0] == ("agent.run.start", None)
    assert actions[-1] == ("agent.run.finish", None)
    nodes = [node for action, node in actions if action == "agent.step"]
    assert nodes == list(done.nodes_done) and nodes[0] == "identify" and nodes[-1] == "route"
    for event in events:
        assert event.actor == COORDINATOR.id
        assert not {"text", "content", "quote"} & set(event.details)
    steps = {e.details["node"]: e.details for e in events if e.action == "agent.step"}
    assert steps["gather_evidence"]["engine"] == "offline"
    assert set(documents) <= set(steps["gather_evidence"]["sources"])
    assert any(s.startswith("quillfeather-sleep") for s in steps["checklist"]["sources"])
    assert (
        steps["assess"]["prompts"] == ["rules.assess@1"] and steps["assess"]["counts"]["met"] >= 4
    )
    assert steps["draft_summary"]["prompts"] == ["template.cover_letter@1", "template.summary@1"]
