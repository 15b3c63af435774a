"""Structural proof that nothing leaves unapproved: one way to `sent`, one caller of delivery.

The code is read, not run: every module of `src/caredesk` is parsed and searched for the ways
a draft could reach `sent` or a message could be delivered. Each must be the one in
`caredesk/outbox/send.py`, whose `send` moves only `approved` drafts (see test_drafts.py).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).parents[2] / "src" / "caredesk"
SEND_MODULE = "outbox/send.py"


@dataclass(frozen=True)
class Site:
    module: str
    function: str
    line: int


@functools.cache
def _modules() -> tuple[tuple[str, ast.Module], ...]:
    return tuple(
        (path.relative_to(SOURCE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SOURCE.rglob("*.py"))
    )


def _sites(predicate: type[ast.AST], match: object) -> list[Site]:
    """Every node of type `predicate` for which `match(node)` holds, with its function."""
    found = []
    for module, tree in _modules():
        for function, node in _walk(tree, "<module>"):
            if isinstance(node, predicate) and match(node):  # type: ignore[operator]
                found.append(Site(module, function, node.lineno))  # type: ignore[attr-defined]
    return found


def _walk(node: ast.AST, function: str) -> Iterator[tuple[str, ast.AST]]:
    for child in ast.iter_child_nodes(node):
        inner = (
            child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        )
        yield inner, child
        yield from _walk(child, inner)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _calls(name: str) -> list[Site]:
    return _sites(ast.Call, lambda call: _name(call.func) == name)


def test_the_webhook_is_posted_only_by_the_outbox_delivery_job() -> None:
    assert _calls("post_webhook") == [Site(SEND_MODULE, "deliver", _line("post_webhook("))]


def test_delivery_jobs_are_queued_only_by_send() -> None:
    queued = _sites(ast.Call, lambda c: _name(c.func) == "enqueue" and _mentions(c, "OUTBOX_JOB"))
    assert [(s.module, s.function) for s in queued] == [(SEND_MODULE, "send")]
    deliver_callers = {(s.module, s.function) for s in _calls("deliver")}
    assert deliver_callers == {(SEND_MODULE, "handle")}


def test_only_send_asks_for_the_send_transition() -> None:
    asked = _sites(ast.Call, lambda c: _name(c.func) == "next_state" and _mentions(c, "SEND"))
    assert [(s.module, s.function) for s in asked] == [(SEND_MODULE, "send")]


def test_the_sent_state_is_named_only_by_the_domain_and_the_outbox() -> None:
    named = _sites(ast.Attribute, lambda a: a.attr == "SENT" and _name(a.value) == "DraftState")
    assert {s.module for s in named} <= {"domain/drafts.py", SEND_MODULE}
    # In the outbox it is only read (the delivery job checks the draft went out), never set.
    assert [s.function for s in named if s.module == SEND_MODULE] == ["_outgoing"]
    literal = _sites(ast.Constant, lambda c: c.value == "sent")
    assert {s.module for s in literal} == {"domain/drafts.py"}


def test_draft_state_is_written_only_through_the_state_machine() -> None:
    writes = _sites(ast.Assign, lambda a: any(_sets_state(t) for t in a.targets))
    by_function = {(s.module, s.function) for s in writes}
    assert by_function == {
        ("review/drafts.py", "edit_draft"),
        ("review/drafts.py", "_decide"),
        (SEND_MODULE, "send"),
    }
    bulk = _sites(ast.Call, lambda c: _name(c.func) == "update" and _mentions(c, "DraftRecord"))
    assert bulk == []


def _sets_state(target: ast.expr) -> bool:
    """`row.state = ...` or `before, row.state = ...`: an attribute called `state` is set."""
    targets = target.elts if isinstance(target, ast.Tuple) else [target]
    return any(isinstance(t, ast.Attribute) and t.attr == "state" for t in targets)


def _mentions(call: ast.Call, name: str) -> bool:
    return any(_name(node) == name for node in ast.walk(call))


def _line(text: str) -> int:
    lines = (SOURCE / SEND_MODULE).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line and "def " not in line)
