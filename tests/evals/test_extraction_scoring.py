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
