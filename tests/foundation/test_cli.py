"""Every foundation CLI command, run the way a person runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.documents import make_pdf, make_png
from typer.testing import CliRunner

from caredesk import __version__
from caredesk.cli import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def cli(data_dir: Path, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--data-dir", str(data_dir), *args], input=stdin)


def test_version_and_help() -> None:
    assert runner.invoke(app, ["version"]).stdout.strip() == __version__
    help_text = runner.invoke(app, ["--help"]).stdout
    for command in ("serve", "ingest", "documents", "audit", "users", "db"):
        assert command in help_text


def test_db_upgrade_is_idempotent(data_dir: Path) -> None:
    first = cli(data_dir, "db", "upgrade")
    assert first.exit_code == 0 and "upgraded" in first.stdout
    second = cli(data_dir, "db", "upgrade")
    assert second.exit_code == 0 and "already at revision" in second.stdout


def test_users_create_list_token(data_dir: Path) -> None:
    created = cli(data_dir, "users", "create", "carol", "--role", "coordinator")
    assert created.exit_code == 0, created.output
    assert "password:" in created.stdout
    listed = json.loads(cli(data_dir, "users", "list", "--json").stdout)
    assert [(u["username"], u["role"]) for u in listed] == [("carol", "coordinator")]
    token = cli(data_dir, "users", "token", "carol").stdout.strip()
    assert token.startswith("cdk_")
    duplicate = cli(data_dir, "users", "create", "carol", "--role", "intake")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad_role = cli(data_dir, "users", "create", "dave", "--role", "janitor")
    assert bad_role.exit_code == 1 and "unknown role" in bad_role.output
    short = cli(
        data_dir, "users", "create", "erin", "--role", "intake", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 1 and "at least 12" in short.output


def test_ingest_folder_counts_new_duplicates_and_rejects(data_dir: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "a.pdf").write_bytes(make_pdf(2))
    (inbox / "sub" / "b.png").write_bytes(make_png())
    (inbox / "sub" / "copy-of-a.pdf").write_bytes(make_pdf(2))
    (inbox / "notes.txt").write_text("not a document")
    result = cli(data_dir, "ingest", str(inbox), "--wait", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"new": 2, "duplicate": 1, "rejected": 1}
    rejected = [f for f in summary["files"] if f["result"] == "rejected"]
    assert rejected[0]["path"].endswith("notes.txt") and "unsupported" in rejected[0]["reason"]
    documents = json.loads(cli(data_dir, "documents", "list", "--json").stdout)
    assert sorted(d["pages"] for d in documents) == [1, 2]
    assert {d["status"] for d in documents} <= {"ready", "needs_attention"}


def test_ingest_without_files_is_a_usage_error(data_dir: Path, tmp_path: Path) -> None:
    result = cli(data_dir, "ingest", str(tmp_path / "nothing-here"))
    assert result.exit_code == 2
    assert "no files" in result.output


def test_audit_verify_and_export(data_dir: Path, tmp_path: Path) -> None:
    cli(data_dir, "users", "create", "frank", "--role", "reviewer")
    verified = cli(data_dir, "audit", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    out = tmp_path / "audit.jsonl"
    exported = cli(data_dir, "audit", "export", "--since", "2020-01-01", "--out", str(out))
    assert exported.exit_code == 0
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert events and events[0]["action"] == "user.create"
    assert {"seq", "ts", "actor", "role", "hash", "prev_hash"} <= set(events[0])
    future = cli(data_dir, "audit", "export", "--since", "2999-01-01")
    assert future.exit_code == 0 and future.stdout == ""
    bad = cli(data_dir, "audit", "export", "--since", "last tuesday")
    assert bad.exit_code == 2 and "ISO date" in bad.output
