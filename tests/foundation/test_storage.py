"""Storage on real SQLite and PostgreSQL: migrations, WAL, the blob store's atomic writes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from caredesk.domain.errors import NotFound
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import make_engine
from caredesk.storage.migrate import current_revision, head_revision, upgrade


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run changes nothing and does not fail
        assert current_revision(engine) == head_revision(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"users", "api_tokens", "documents", "jobs", "audit_events", "audit_head"} <= tables
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_blob_store_names_blobs_by_sha256_and_stores_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"fax page")
    assert digest == hashlib.sha256(b"fax page").hexdigest()
    assert store.put_bytes(b"fax page") == digest
    assert store.read_bytes(digest) == b"fax page"
    assert store.verify(digest)
    assert len([p for p in store.root.rglob("*") if p.is_file()]) == 1


def test_blob_store_leaves_nothing_behind_when_a_write_fails(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")

    def broken_upload() -> Iterator[bytes]:
        yield b"first half of a file"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.put_chunks(broken_upload())
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_blob_store_detects_bit_rot_and_rejects_bad_names(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.put_bytes(b"original")
    store.path_for(digest).write_bytes(b"changed on disk")
    assert not store.verify(digest)
    with pytest.raises(NotFound):
        store.read_bytes("../../etc/passwd")
