"""Eval suite `audit`: random tampering of a real audit log; is every edit found and located?"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from caredesk.audit.log import Actor, record
from caredesk.audit.verify import verify_chain
from caredesk.storage.db import make_engine, make_session_factory, transaction
from caredesk.storage.migrate import upgrade

ACTOR = Actor("usr_eval", "coordinator")
KINDS = ("edit", "delete", "reorder", "truncate")


def _build(path: Path, events: int) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        for n in range(events):
            record(session, ACTOR, "draft.edit", "draft", f"dft_{n}", {"version": n})
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))
    return engine


def _tamper(engine: Engine, kind: str, seq: int, last: int) -> int:
    """Apply one tampering; returns the sequence number verify should name."""
    with engine.begin() as connection:
        if kind == "edit":
            connection.execute(
                text("UPDATE audit_events SET actor='mallory' WHERE seq=:s"), {"s": seq}
            )
            return seq
        if kind == "delete":
            connection.execute(text("DELETE FROM audit_events WHERE seq=:s"), {"s": seq})
            return seq + 1
        if kind == "truncate":
            connection.execute(text("DELETE FROM audit_events WHERE seq=:s"), {"s": last})
            return last
        a, b = (seq, seq + 1) if seq < last else (seq - 1, seq)
        rows = {
            r.seq: r
            for r in connection.execute(
                text("SELECT seq, object_id, hash FROM audit_events WHERE seq IN (:a, :b)"),
                {"a": a, "b": b},
            )
        }
        for mine, theirs in ((a, b), (b, a)):
            connection.execute(
                text("UPDATE audit_events SET object_id=:o, hash=:h WHERE seq=:s"),
                {"o": rows[theirs].object_id, "h": rows[theirs].hash, "s": mine},
            )
        return a


def run(size: str) -> dict[str, Any]:
    trials = 12 if size == "small" else 80
    rng = random.Random(20261128)
    detected = located = 0
    per_kind: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(trials):
            events = rng.randint(5, 40)
            engine = _build(Path(tmp) / f"t{trial}.db", events)
            kind = KINDS[trial % len(KINDS)]
            expected = _tamper(engine, kind, rng.randint(1, events - 1), events)
            with make_session_factory(engine)() as session:
                result = verify_chain(session)
            engine.dispose()
            detected += not result.ok
            located += result.broken_seq == expected
            per_kind[kind][0] += 1
            per_kind[kind][1] += result.broken_seq == expected
    rows = "\n".join(f"| {k} | {n} | {ok} |" for k, (n, ok) in per_kind.items())
    markdown = (
        "Each trial builds a real SQLite audit log, drops the append-only triggers, "
        "tampers once and runs `verify`.\n\n| tampering | trials | located exactly |\n"
        f"|---|---:|---:|\n{rows}\n"
    )
    return {
        "metrics": {"detection_rate": detected / trials, "location_rate": located / trials},
        "markdown": markdown,
    }
