"""Shared by the eval and benchmark runners: discover suites, run them, write reports."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


@dataclass(frozen=True)
class Check:
    suite: str
    metric: str
    value: float
    bound: str  # "min" | "max" | ""
    limit: float | None

    @property
    def passed(self) -> bool:
        if self.limit is None:
            return True
        return self.value >= self.limit if self.bound == "min" else self.value <= self.limit


def discover(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("*.py")) if not p.stem.startswith("_")}


def load_suite(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"suite_{name}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load suite {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_thresholds(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def checks_for(suite: str, metrics: dict[str, float], thresholds: dict[str, Any]) -> list[Check]:
    checks = []
    for metric, value in metrics.items():
        rule = thresholds.get(metric)
        if isinstance(rule, dict):
            bound, limit = ("max", rule["max"]) if "max" in rule else ("min", rule.get("min"))
        elif isinstance(rule, int | float):
            bound, limit = "min", rule
        else:
            bound, limit = "", None
        checks.append(Check(suite, metric, float(value), bound, limit))
    return checks


def report_markdown(
    title: str, suite: str, size: str, seconds: float, checks: list[Check], body: str
) -> str:
    lines = [
        f"# {title}: `{suite}`",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, size `{size}`, {seconds:.1f} s.",
        "",
        "| metric | value | threshold | result |",
        "|---|---:|---|---|",
    ]
    for check in checks:
        rule = (
            "" if check.limit is None else f"{'≥' if check.bound == 'min' else '≤'} {check.limit}"
        )
        result = "" if check.limit is None else ("pass" if check.passed else "**FAIL**")
        lines.append(f"| {check.metric} | {check.value:.4g} | {rule} | {result} |")
    return "\n".join(lines) + "\n\n" + body.strip() + "\n"


def print_checks(checks: list[Check]) -> None:
    table = Table("suite", "metric", "value", "threshold", "result")
    for check in checks:
        rule = (
            "" if check.limit is None else f"{'>=' if check.bound == 'min' else '<='} {check.limit}"
        )
        result = "" if check.limit is None else ("[green]pass" if check.passed else "[red]FAIL")
        table.add_row(check.suite, check.metric, f"{check.value:.4g}", rule, result)
    console.print(table)


def run_all(
    *,
    title: str,
    folder: Path,
    reports: Path,
    thresholds: Path,
    size: str,
    only: list[str],
    gate: bool,
) -> int:
    """Run suites, print and write reports; with `gate`, exit status 1 under any threshold."""
    suites = discover(folder)
    unknown = set(only) - set(suites)
    if unknown:
        console.print(f"[red]unknown suite(s): {sorted(unknown)}; have {sorted(suites)}")
        return 2
    limits = load_thresholds(thresholds)
    reports.mkdir(parents=True, exist_ok=True)
    all_checks: list[Check] = []
    for name, path in suites.items():
        if only and name not in only:
            continue
        console.rule(f"{title}: {name} ({size})")
        started = time.perf_counter()
        run: Callable[[str], dict[str, Any]] = load_suite(name, path).run
        outcome = run(size)
        checks = checks_for(name, outcome.get("metrics", {}), limits.get(name, {}) if gate else {})
        seconds = time.perf_counter() - started
        report = report_markdown(title, name, size, seconds, checks, outcome.get("markdown", ""))
        (reports / f"{name}{'' if size == 'full' else '-' + size}.md").write_text(report)
        all_checks.extend(checks)
    print_checks(all_checks)
    failed = [c for c in all_checks if not c.passed]
    if failed:
        console.print(f"[red]{len(failed)} metric(s) under threshold")
        return 1
    return 0


def main(*, title: str, home: Path, thresholds: Path, gate: bool, doc: str | None) -> int:
    """The command line shared by `evals/run.py` and `benchmarks/run.py`."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--suite", action="append", default=[], help="run only this suite")
    args = parser.parse_args()
    return run_all(
        title=title,
        folder=home / "suites",
        reports=home / "reports",
        thresholds=thresholds,
        size=args.size,
        only=args.suite,
        gate=gate,
    )
