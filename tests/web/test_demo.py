"""`caredesk demo`: one person per role, synthetic papers read by the real pipeline, demo
cases and an agent run, and never a mix with real work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.web.casework import kb_web_settings
from tests.web.support import web_settings
from typer.testing import CliRunner

from caredesk.accounts.service import authenticate, create_user
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.cli import app
from caredesk.domain.roles import Role
from caredesk.review.records import DraftQuery, list_drafts
from caredesk.storage.db import transaction
from caredesk.storage.models import CaseDocument, CaseRecord, Document, User
from caredesk.web.demo import (
    DEMO_PEOPLE,
    DemoRefused,
    DemoSeeder,
    demo_blockers,
    demo_papers,
    installation_is_empty,
    seed_users,
)

runner = CliRunner()


@pytest.fixture
def resources(tmp_path: Path) -> Iterator[Resources]:
    built = Resources.build(web_settings(tmp_path / "data"))
    yield built
    built.close()


def test_demo_refuses_a_data_directory_that_holds_real_work(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    built = Resources.build(web_settings(data_dir))
    with transaction(built.db) as session:
        create_user(session, "real.person", Role.COORDINATOR.value, by=SYSTEM)
    built.close()
    result = runner.invoke(app, ["--data-dir", str(data_dir), "demo"])
    assert result.exit_code == 2, result.output
    assert "already holds real work (1 user)" in result.output
    check = Resources.build(web_settings(data_dir))
    with check.read_db() as session:
        assert session.execute(select(User).where(User.is_demo.is_(True))).first() is None
    check.close()


def test_a_real_document_blocks_the_demo_too(resources: Resources) -> None:
    with transaction(resources.db) as session:
        session.add(Document(sha256="0" * 64, filename="real.pdf", media_type="application/pdf",
                             size_bytes=1))  # fmt: skip
    with pytest.raises(DemoRefused, match="1 document"):
        seed_users(resources)


def test_demo_seeds_one_person_per_role_marked_demo(resources: Resources) -> None:
    assert installation_is_empty(resources)
    with transaction(resources.db) as session:  # the first admin `caredesk serve` creates
        create_user(session, "admin", Role.ADMIN.value, by=SYSTEM)
    logins = seed_users(resources)
    assert sorted(login.role for login in logins) == sorted(Role)
    assert all(login.password for login in logins)
    with resources.read_db() as session:
        demo_users = session.execute(select(User).where(User.is_demo.is_(True))).scalars().all()
        assert {user.username for user in demo_users} == {name for name, _, _ in DEMO_PEOPLE}
        first = logins[0]
        assert authenticate(session, first.username, first.password or "") is not None
        assert demo_blockers(session) == []  # demo data never blocks more demo data
    again = seed_users(resources)
    assert [login.password for login in again] == [None] * len(DEMO_PEOPLE)
    assert not installation_is_empty(resources)


@pytest.mark.slow
def test_the_seeder_reads_papers_and_opens_demo_cases_with_an_agent_run(tmp_path: Path) -> None:
    built = Resources.build(kb_web_settings(tmp_path / "data"))
    try:
        seed_users(built)
        built.start_workers()
        papers = [paper for paper in demo_papers() if paper.key in {"complete", "note"}]
        outcome = DemoSeeder(built, timeout_s=120, poll_s=0.2, papers=papers).run()
        assert set(outcome.documents) == {"complete", "note"}
        assert outcome.run_status == "completed", outcome
        case_id = outcome.cases["complete"]
        with built.read_db() as session:
            case = session.get(CaseRecord, case_id)
            assert case is not None and case.is_demo
            attached = session.execute(
                select(CaseDocument.document_id).where(CaseDocument.case_id == case_id)
            ).scalars()
            assert set(attached) == set(outcome.documents.values())
            documents = session.execute(select(Document.is_demo)).scalars().all()
            assert documents and all(documents)
            drafts, _ = list_drafts(session, DraftQuery(case_id=case_id))
        assert drafts, "the demo's agent run wrote drafts for the reviewer"
        again = DemoSeeder(built, timeout_s=60, poll_s=0.2, papers=papers).run()
        assert (again.cases, again.run_id) == (outcome.cases, outcome.run_id)  # nothing twice
    finally:
        built.close()
