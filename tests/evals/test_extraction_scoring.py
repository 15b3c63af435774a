"""The extraction eval's own scoring: a free-text field counts when it is 90% similar."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SUITE = Path(__file__).resolve().parents[2] / "evals" / "suites" / "extraction.py"


def _suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_suite", SUITE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


REASON = (
    "Seropositive rheumatoid arthritis with active synovitis. Inadequate response to "
    "methotrexate 20 mg weekly (conventional DMARD) for 3 months. Inadequate response to "
    "adalimumab (TNF inhibitor) for 3 months. Hepatitis B screening negative on 03/23/2026."
)


def test_a_long_reason_with_a_few_ocr_slips_counts_as_read() -> None:
    suite = _suite()
    read = (
        REASON.replace("Seropositive", "Seropasitive")
        .replace("response to methotrexate", "response tu methotrexate")
        .replace("DMARD) for", "DMARD) lor")
    )
    assert len(REASON) > 200  # where difflib's autojunk heuristic used to drop the spaces
    assert suite.same_value("clinical_reason", REASON, read)


def test_a_reason_cut_short_or_garbled_does_not_count() -> None:
    suite = _suite()
    assert not suite.same_value("clinical_reason", REASON, REASON[:120])
    assert not suite.same_value("clinical_reason", REASON, "Seropositive rheumatoid arthritis")
    assert not suite.same_value(
        "clinical_reason", REASON, "Bow eth Oe Laie had CG toa, fea be te mee Radke Oo wlcehe ot"
    )


def test_the_full_report_sets_a_held_out_seed_beside_the_eval_corpus() -> None:
    suite = _suite()
    seed, _ = suite.HELD_OUT["full"]
    assert seed != 7  # never the eval corpus itself
    eval_scores, held_out = suite.Scores(), suite.Scores()
    eval_scores.by_variant["fax"].add(suite.Tally(tp=9, fp=0, fn=1))
    held_out.by_variant["fax"].add(suite.Tally(tp=8, fp=1, fn=1))
    held_out.by_group["condition"][("fax", "fine mode, ink kept ≥ 0.95")].add(
        suite.Tally(tp=8, fp=1, fn=1)
    )
    held_out.documents_by_group["condition"][("fax", "fine mode, ink kept ≥ 0.95")] = 2
    text = suite._held_out_report(eval_scores, held_out, seed, 80)
    assert f"held out (seed {seed})" in text
    assert "1.000 / 0.900 / 0.947" in text  # the eval corpus's fax P / R / F1
    assert "0.889 / 0.889 / 0.889" in text  # the held-out corpus's
    assert "| fine mode, ink kept ≥ 0.95 | 2 |" in text
