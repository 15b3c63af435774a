"""The audit log: hash chain, append-only triggers, and tamper detection on both databases."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from caredesk.audit.log import Actor, iter_events, record
from caredesk.audit.verify import verify_chain
from caredesk.storage.db import make_engine, make_session_factory, transaction
from caredesk.storage.migrate import upgrade

ALICE = Actor("usr_alice", "coordinator")


@pytest.fixture
def engine(database_url: str) -> Engine:
    built = make_engine(database_url)
    upgrade(built)
    yield built  # type: ignore[misc]
    built.dispose()


def _append(engine: Engine, count: int) -> None:
    factory = make_session_factory(engine)
    for n in range(count):
        with transaction(factory) as session:
            record(session, ALICE, "case.update", "case", f"case_{n}", {"field": "urgency", "n": n})


def _verify(engine: Engine) -> tuple[bool, int | None, str]:
    with make_session_factory(engine)() as session:
        result = verify_chain(session)
    return result.ok, result.broken_seq, result.reason


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_no_update ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_chain_of_appended_events_verifies(engine: Engine) -> None:
    _append(engine, 5)
    assert _verify(engine) == (True, None, "")
    with make_session_factory(engine)() as session:
        events = list(iter_events(session))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))


def test_database_refuses_update_and_delete(engine: Engine) -> None:
    _append(engine, 2)
    for statement in (
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert _verify(engine)[0]


def test_verify_points_at_an_edited_event(engine: Engine) -> None:
    _append(engine, 6)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(
            text('UPDATE audit_events SET details = \'{"field":"payer"}\' WHERE seq = 4')
        )
    ok, seq, reason = _verify(engine)
    assert (ok, seq) == (False, 4)
    assert "edited" in reason


def test_verify_points_past_a_deleted_event(engine: Engine) -> None:
    _append(engine, 6)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    ok, seq, reason = _verify(engine)
    assert (ok, seq) == (False, 4)
    assert "missing" in reason


def test_verify_detects_reordered_events(engine: Engine) -> None:
    _append(engine, 6)
    _drop_triggers(engine)
    swap = """UPDATE audit_events SET object_id = CASE seq WHEN 2 THEN :b WHEN 3 THEN :a END,
              hash = CASE seq WHEN 2 THEN :hb WHEN 3 THEN :ha END WHERE seq IN (2, 3)"""
    with engine.begin() as connection:
        rows = {
            r.seq: r
            for r in connection.execute(text("SELECT * FROM audit_events WHERE seq IN (2,3)"))
        }
        connection.execute(
            text(swap),
            {
                "a": rows[2].object_id,
                "b": rows[3].object_id,
                "ha": rows[2].hash,
                "hb": rows[3].hash,
            },
        )
    ok, seq, _ = _verify(engine)
    assert (ok, seq) == (False, 2)


def test_verify_detects_a_truncated_tail(engine: Engine) -> None:
    _append(engine, 4)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    ok, seq, reason = _verify(engine)
    assert (ok, seq) == (False, 4)
    assert "head says 4" in reason


def test_concurrent_appends_never_fork_the_chain(engine: Engine) -> None:
    threads = [threading.Thread(target=_append, args=(engine, 10)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok, _, _ = _verify(engine)
    assert ok
    with make_session_factory(engine)() as session:
        assert len(list(iter_events(session))) == 40


def test_audit_details_refuse_document_text(engine: Engine) -> None:
    with pytest.raises(ValueError, match="content"), transaction(make_session_factory(engine)) as s:
        record(s, ALICE, "document.read", "document", "doc_1", {"text": "Patient has ..."})
