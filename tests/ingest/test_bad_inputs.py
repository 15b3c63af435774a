"""Every awkward file the corpus generator makes ends in a clear verdict, never a crash or hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from caredesk.domain import errors
from caredesk.domain.documents import PageStatus
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.pipeline import read_pages
from caredesk.ingest.preprocess import PreprocessOptions
from caredesk.synthetic.bad_inputs import BadInput, generate_bad_inputs

LIMITS = IngestLimits(max_bytes=50 * 1024 * 1024, workers=2, ocr_page_timeout_s=30)


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[BadInput]:
    return generate_bad_inputs(tmp_path_factory.mktemp("bad"), max_upload_mb=50)


def test_the_generator_makes_at_least_twenty_bad_files(bad_inputs: list[BadInput]) -> None:
    assert len(bad_inputs) >= 20


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_every_bad_input_ends_with_a_clear_verdict(bad_inputs: list[BadInput]) -> None:
    """Rejected with the expected error and reason, or read with the problem page flagged."""
    failures = [f"{case.name}: {problem}" for case in bad_inputs if (problem := verdict(case))]
    assert not failures, "\n".join(failures)


def verdict(case: BadInput) -> str:
    """What went wrong with one case, or "" when ingestion did what the case expects."""
    try:
        pages = list(read_pages(case.path, limits=LIMITS, options=PreprocessOptions()))
    except errors.InputRejected as exc:
        return _check_rejection(case, exc)
    reasons = " ".join(
        f"unreadable: {p.reason.lower()}" for p in pages if p.status is PageStatus.UNREADABLE
    )
    if case.outcome == "rejected":
        return f"read {len(pages)} pages instead of raising {case.expected_error}"
    if case.outcome == "needs_attention" and not any(k in reasons for k in case.reason_keywords):
        return f"no unreadable page naming {case.reason_keywords}: {reasons!r}"
    if case.outcome == "accepted" and (not pages or reasons):
        return f"expected a clean read, got {reasons!r}"
    return ""


def _check_rejection(case: BadInput, exc: errors.InputRejected) -> str:
    if case.outcome == "accepted":
        return f"rejected a file that should be read: {exc.reason}"
    if case.outcome == "needs_attention":
        return ""  # rejecting outright is also acceptable for these
    expected = getattr(errors, case.expected_error)
    if not isinstance(exc, expected):
        return f"raised {type(exc).__name__}, expected {case.expected_error}"
    if not any(keyword.lower() in exc.reason.lower() for keyword in case.reason_keywords):
        return f"reason {exc.reason!r} names none of {case.reason_keywords}"
    return ""


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * 2048)
    with pytest.raises(errors.PayloadTooLarge, match="too large"):
        list(read_pages(big, limits=IngestLimits(max_bytes=1024), options=PreprocessOptions()))
