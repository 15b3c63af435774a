"""The ICD-10-CM code table (CMS, shipped in the MIT-licensed simple_icd_10_cm wheel), loaded once.

Only the package's plain code list is read (~0.1 s), not its 10 MB XML tabular, which the
package itself parses on import and which made every process start several seconds slower.
"""

from __future__ import annotations

import functools
import importlib.resources

_PACKAGE = "simple_icd_10_cm.data"


@functools.cache
def _codes() -> frozenset[str]:
    files = importlib.resources.files(_PACKAGE)
    listing = next(f for f in files.iterdir() if f.name.startswith("code-list-"))
    codes = set()
    for line in listing.read_text(encoding="utf-8").splitlines():
        entry = line.strip().upper()
        # Chapters are numbers and blocks are ranges ("A00-A09"): neither is a code.
        if entry and not entry.isdigit() and "-" not in entry:
            codes.add(entry)
    return frozenset(codes)


def icd10cm_code_exists(code: str) -> bool:
    """The code (with or without its dot) is a category or subcategory in the table."""
    return code.replace(".", "").strip().upper() in _codes()
