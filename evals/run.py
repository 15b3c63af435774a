"""Run the evaluation suites: `python evals/run.py [--size small|full] [--suite NAME ...]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runner_common import run_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["small", "full"], default="full")
    parser.add_argument("--suite", action="append", default=[], help="run only this suite")
    args = parser.parse_args()
    return run_all(
        title="Evaluation",
        folder=HERE / "suites",
        reports=HERE / "reports",
        thresholds=HERE / "thresholds.toml",
        size=args.size,
        only=args.suite,
        gate=True,
    )


if __name__ == "__main__":
    sys.exit(main())
