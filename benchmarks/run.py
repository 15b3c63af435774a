"""Run the benchmarks: `python benchmarks/run.py [--size small|full] [--suite NAME ...]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "evals"))

from runner_common import run_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--suite", action="append", default=[], help="run only this suite")
    args = parser.parse_args()
    # Benchmarks report; goals are stated in each report, not enforced as a gate.
    return run_all(
        title="Benchmark",
        folder=HERE / "suites",
        reports=HERE / "reports",
        thresholds=HERE / "goals.toml",
        size=args.size,
        only=args.suite,
        gate=False,
    )


if __name__ == "__main__":
    sys.exit(main())
