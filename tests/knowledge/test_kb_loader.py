"""The loader: good files load, each bad file is rejected with file:line and a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from caredesk.knowledge.loader import load_folder

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"

GOOD = """---
id: good-doc
title: A good document
kind: playbook
effective_date: 2025-01-01
---

# A good document

Body text.
"""


def test_the_fixture_folder_loads_completely() -> None:
    folder = load_folder(FIXTURE_KB)
    assert folder.problems == []
    assert {d.key for d in folder.documents} >= {
        "qf-imaging@2025",
        "qf-imaging@2026",
        "tw-imaging@1",
    }
    assert [p.id for p in folder.payers] == ["quillfeather", "tumbleweed", "lanternfish"]
    imaging = next(d for d in folder.documents if d.key == "qf-imaging@2025")
    assert imaging.body.startswith("\n# Quillfeather imaging rules for 2025")
    assert imaging.source_path == "payers/qf-imaging-2025.md"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("# No front matter\n", 1, "missing YAML front matter"),
        ("---\nid: x\ntitle: never closed\n", 1, "not closed"),
        ("---\nid: bad\ntitle: [unclosed\nkind: playbook\n---\n", 4, "not valid YAML"),
        ("---\nid: bad-kind\ntitle: T\nkind: memo\neffective_date: 2025-01-01\n---\n", 4, "kind"),
        ("---\nid: no-date\ntitle: T\nkind: policy\n---\n", 1, "effective_date: Field required"),
        (
            "---\nid: bad-payer\ntitle: T\nkind: policy\neffective_date: 2025-01-01\n"
            "payer: acme\n---\n",
            6,
            "unknown payer 'acme'",
        ),
        (
            "---\nid: bad-code\ntitle: T\nkind: policy\neffective_date: 2025-01-01\n"
            "service_codes:\n  - '72148'\n  - '70553-70551'\n---\n",
            8,
            "lower code",
        ),
        (
            "---\nid: bad-item\ntitle: T\nkind: policy\neffective_date: 2025-01-01\n"
            "checklist:\n  - id: a\n    text: A\n    kind: clinical\n"
            "  - id: b\n    text: B\n    kind: vibes\n---\n",
            12,
            "checklist.1.kind",
        ),
        (
            "---\nid: twice\ntitle: T\nkind: playbook\ntitle: U\neffective_date: 2025-01-01\n---\n",
            5,
            "appears twice",
        ),
    ],
)
def test_a_bad_file_is_rejected_with_its_line_and_the_rest_still_load(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    (tmp_path / "payers.yaml").write_text((FIXTURE_KB / "payers.yaml").read_text())
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "bad.md").write_text(text)
    folder = load_folder(tmp_path)
    assert [d.doc_id for d in folder.documents] == ["good-doc"]
    [problem] = folder.problems
    assert (problem.file, problem.line) == ("bad.md", line), str(problem)
    assert reason in problem.reason
    assert str(problem).startswith(f"bad.md:{line}: ")


def test_a_second_file_claiming_the_same_version_is_rejected_at_its_version_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.md").write_text(GOOD.replace("kind: playbook", "kind: playbook\nversion: '3'"))
    (tmp_path / "b.md").write_text(GOOD.replace("kind: playbook", "kind: playbook\nversion: '3'"))
    folder = load_folder(tmp_path)
    assert [d.source_path for d in folder.documents] == ["a.md"]
    assert [(p.file, p.line) for p in folder.problems] == [("b.md", 5)]
    assert "a.md" in folder.problems[0].reason


def test_several_versions_of_one_id_coexist(tmp_path: Path) -> None:
    (tmp_path / "v1.md").write_text(GOOD.replace("kind: playbook", "kind: playbook\nversion: '1'"))
    later = GOOD.replace("2025-01-01", "2026-01-01").replace(
        "kind: playbook", "kind: playbook\nversion: '2'"
    )
    (tmp_path / "v2.md").write_text(later)
    folder = load_folder(tmp_path)
    assert sorted(d.key for d in folder.documents) == ["good-doc@1", "good-doc@2"]
    assert folder.problems == []


def test_a_bad_payers_file_entry_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "payers.yaml").write_text(
        "payers:\n  - id: ok\n    name: OK\n  - id: Bad Id\n    name: X\n"
    )
    folder = load_folder(tmp_path)
    assert [p.id for p in folder.payers] == ["ok"]
    assert [(p.file, p.line) for p in folder.problems] == [("payers.yaml", 4)]
