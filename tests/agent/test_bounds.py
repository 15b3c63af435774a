"""Bounds end a run cleanly and keep what it had; a crashed run resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.agent.support import (
    COORDINATOR,
    ReadBundle,
    audit_events,
    deps_for,
    limits,
    open_bundle_case,
)
from tests.copilot.support import kb_settings

from caredesk.agent.runner import run_agent, start_and_run
from caredesk.agent.runs import result_json, start_run
from caredesk.api.resources import Resources
from caredesk.domain.cases import CaseStatus
from caredesk.domain.errors import UpstreamUnavailable
from caredesk.knowledge.embeddings import MiniLmEmbedder
from caredesk.storage.db import transaction
from caredesk.storage.models import DraftRecord
from caredesk.worklist.records import load_case

Bundles = Callable[[str], ReadBundle]


def test_the_step_limit_stops_the_run_and_keeps_the_checklist(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    done = start_and_run(deps_for(resources, limits=limits(steps=3)), case_id, COORDINATOR)
    assert done.status == "budget_exceeded"
    assert done.nodes_done == ["identify", "pa_required", "checklist", "gather_evidence", "route"]
    assert "step limit reached (3 steps) before gather_evidence" in done.error
    with resources.read_db() as session:
        result = result_json(session, done.id)
        assert load_case(session, case_id).status is CaseStatus.NEEDS_REVIEW
    assert len(result["checklist"]) == 5  # the checklist so far, kept
    assert {item["status"] for item in result["checklist"]} == {"unclear"}
    assert all(item["rationale"].startswith("not assessed") for item in result["checklist"])
    assert result["routing"]["route"] == "review"
    assert any("stopped early" in reason for reason in result["routing"]["reasons"])
    assert result["drafts"] == [] and result["budget"]["used"]["steps"] == 3


def test_the_time_limit_stops_the_run(resources: Resources, bundles: Bundles) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    tight = deps_for(resources, limits=limits(seconds=1e-9))
    done = start_and_run(tight, case_id, COORDINATOR)
    assert done.status == "budget_exceeded" and "time limit" in done.error
    assert done.routing is not None and done.routing["decision"] == "review"


class PowerCut(RuntimeError):
    pass


@pytest.fixture
def any_db_resources(
    database_url: str, kb_dir: Path, sentence_model: MiniLmEmbedder
) -> Iterator[Resources]:
    """Resources on SQLite and, as a second run of the test, on PostgreSQL."""
    built = Resources.build(kb_settings(kb_dir, database_url=database_url), embedder=sentence_model)
    yield built
    built.close()


def test_a_crashed_run_resumes_after_its_last_node_without_duplicates(
    any_db_resources: Resources, bundles: Bundles
) -> None:
    resources = any_db_resources
    case_id, _ = open_bundle_case(resources, bundles("missing"))
    started: list[str] = []

    def crash_at_drafting(node: str) -> None:
        started.append(node)
        if node == "draft_summary":
            raise PowerCut("the worker died")

    deps = deps_for(resources, before_node=crash_at_drafting)
    with transaction(resources.db) as session:
        run_id = start_run(session, case_id, COORDINATOR, deps.limits, "offline", "").id
    with pytest.raises(PowerCut):
        run_agent(deps, run_id)
    before = ["identify", "pa_required", "checklist", "gather_evidence", "assess"]
    assert started == [*before, "draft_summary"]
    with resources.read_db() as session:
        assert result_json(session, run_id)["status"] == "running"

    started.clear()
    deps.before_node = started.append
    done = run_agent(deps, run_id)
    assert started == ["draft_summary", "draft_outreach", "score", "route"]
    assert done.status == "completed" and done.nodes_done == [*before, *started]
    again = run_agent(deps, run_id)  # a finished run is not run twice
    assert again.draft_ids == done.draft_ids
    with resources.read_db() as session:
        drafts = session.execute(
            select(func.count()).select_from(DraftRecord).where(DraftRecord.case_id == case_id)
        ).scalar_one()
    assert drafts == len(done.draft_ids) == 3  # summary, cover letter, one provider request
    steps = [e.details["node"] for e in audit_events(resources) if e.action == "agent.step"]
    assert sorted(steps) == sorted(done.nodes_done)  # every node audited once


def test_a_run_that_fails_for_good_sends_the_case_to_people(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))

    def broken(node: str) -> None:
        if node == "assess":
            raise PowerCut("disk full")

    with pytest.raises(PowerCut):
        start_and_run(deps_for(resources, before_node=broken), case_id, COORDINATOR)
    failures = [e for e in audit_events(resources) if e.action == "agent.run.fail"]
    assert len(failures) == 1 and "disk full" in failures[0].details["reason"]
    with resources.read_db() as session:
        assert load_case(session, case_id).status is CaseStatus.NEEDS_REVIEW
        run_id = failures[0].details["run_id"]
        assert result_json(session, run_id)["status"] == "failed"


def test_without_a_loaded_knowledge_base_the_run_fails_saying_so(
    tmp_path: Path, sentence_model: MiniLmEmbedder, bundles: Bundles
) -> None:
    empty = Resources.build(kb_settings(tmp_path / "empty"), embedder=sentence_model)
    try:
        case_id, _ = open_bundle_case(empty, bundles("complete"))
        with pytest.raises(UpstreamUnavailable, match="knowledge base is not loaded"):
            start_and_run(deps_for(empty), case_id, COORDINATOR)
        with empty.read_db() as session:
            assert load_case(session, case_id).status is CaseStatus.NEEDS_REVIEW
    finally:
        empty.close()
