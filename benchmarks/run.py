"""Run the benchmarks: `python benchmarks/run.py [--size small|full] [--suite NAME ...]`.

Benchmarks report; each report states its goals, none is enforced as a gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "evals"))

from runner_common import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(
        main(title="Benchmark", home=HERE, thresholds=HERE / "goals.toml", gate=False, doc=__doc__)
    )
