"""Run the evaluation suites: `python evals/run.py [--size small|full] [--suite NAME ...]`."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runner_common import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(
        main(
            title="Evaluation",
            home=HERE,
            thresholds=HERE / "thresholds.toml",
            gate=True,
            doc=__doc__,
        )
    )
