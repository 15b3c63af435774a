"""Deterministic synthetic PA paperwork with ground truth, case bundles and bad input files.

Public API:
- `generate_corpus(out_dir, count, seed=7, *, fax_share=0.5, formats=FORMATS)`: documents,
  `<name>.truth.json` files and `manifest.jsonl`.
- `generate_case_bundle(seed, scenario, ...)`: a referral plus clinical note for one PA case
  (`complete`, `missing`, `injected`, `conflicting`).
- `generate_bad_inputs(out_dir)`: files ingestion must refuse or flag, with expectations.
- `LAYOUTS` and `LABELS`: the layouts by document type and every label wording they print.

Nothing here touches real patient data: names, ids and addresses are fictional but pass
format checks.
"""

from __future__ import annotations

from caredesk.synthetic.bad_inputs import BadInput, generate_bad_inputs
from caredesk.synthetic.cases import SCENARIOS, BundleDocument, CaseBundle, generate_case_bundle
from caredesk.synthetic.corpus import FORMATS, build_file, generate_corpus
from caredesk.synthetic.layouts import LABELS, LAYOUTS

__all__ = [
    "FORMATS",
    "LABELS",
    "LAYOUTS",
    "SCENARIOS",
    "BadInput",
    "BundleDocument",
    "CaseBundle",
    "build_file",
    "generate_bad_inputs",
    "generate_case_bundle",
    "generate_corpus",
]
