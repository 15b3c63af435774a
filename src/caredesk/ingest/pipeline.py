"""The ingestion pipeline as plain stage functions: read pages, then understand them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

from caredesk.domain.documents import ExtractionResult, PageResult, PageSource, PageStatus
from caredesk.ingest.classify import classify
from caredesk.ingest.extract import extract_fields
from caredesk.ingest.formats import open_document
from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.ocr import ocr_pages
from caredesk.ingest.preprocess import PreprocessOptions
from caredesk.ingest.validate import validate
from caredesk.settings import Settings

LOW_TYPE_CONFIDENCE = 0.6
# A page read under this mean word confidence is mostly noise: on the eval's fax documents
# (evals/reports/extraction.md), the 12 with a page under 50 kept a fifth of their fields;
# such a document asks for a person, and the sender for a clearer copy.
BARELY_LEGIBLE = 50.0

__all__ = [
    "IngestLimits",
    "PreprocessOptions",
    "extract_file",
    "limits_from",
    "read_pages",
    "run_pipeline",
    "understand",
]


def read_pages(
    path: Path,
    *,
    limits: IngestLimits,
    options: PreprocessOptions,
    skip_pages: Iterable[int] = frozenset(),
) -> Iterator[PageResult]:
    """Pages of the document in order, each as soon as it is read; `skip_pages` are not read.

    A durable job persists each page as it arrives and, after a crash, resumes by skipping
    the pages it already holds. Raises InputRejected families for a document that cannot be
    opened at all; a single bad page comes back as an unreadable PageResult instead.
    """
    reader = open_document(path, limits)
    try:
        yield from ocr_pages(
            reader.pages(frozenset(skip_pages)),
            options=options,
            timeout_s=limits.ocr_page_timeout_s,
            workers=limits.workers,
        )
    finally:
        reader.close()


def understand(
    document_id: str, pages: Sequence[PageResult], *, today: date | None = None
) -> ExtractionResult:
    """Classify, extract and validate from pages already read (stored pages after a crash)."""
    ordered = sorted(pages, key=lambda page: page.number)
    doc_type, doc_type_confidence = classify(ordered)
    fields, line_items = extract_fields(doc_type, document_id, ordered)
    report = validate(fields, line_items, today=today or date.today())
    warnings = [
        f"page {page.number} unreadable: {page.reason}"
        for page in ordered
        if page.status is PageStatus.UNREADABLE
    ]
    warnings += [
        f"page {page.number} barely legible (mean OCR confidence {page.mean_confidence:.0f}): "
        "fields on it may be missing or misread; ask the sender for a clearer copy"
        for page in ordered
        if page.status is PageStatus.OK
        and page.source is PageSource.OCR
        and page.words
        and page.mean_confidence < BARELY_LEGIBLE
    ]
    if doc_type_confidence < LOW_TYPE_CONFIDENCE:
        warnings.append(f"document type uncertain ({doc_type.value}, {doc_type_confidence:.2f})")
    return ExtractionResult(
        document_id=document_id,
        doc_type=doc_type,
        doc_type_confidence=doc_type_confidence,
        pages=tuple(ordered),
        fields=report.fields,
        line_items=tuple(line_items),
        warnings=tuple(warnings) + report.warnings,
    )


def run_pipeline(
    path: Path,
    *,
    document_id: str,
    limits: IngestLimits,
    options: PreprocessOptions,
    skip_pages: Iterable[int] = frozenset(),
    on_page: Callable[[PageResult], None] | None = None,
) -> ExtractionResult:
    """Read every page (reporting each to `on_page`), then understand the document.

    `skip_pages` are left out of this run's reading; a resuming job passes the pages it
    stored before and calls `understand` with all of them instead.
    """
    pages = []
    for page in read_pages(path, limits=limits, options=options, skip_pages=skip_pages):
        if on_page is not None:
            on_page(page)
        pages.append(page)
    return understand(document_id, pages)


def limits_from(settings: Settings) -> IngestLimits:
    """The caller's Settings turned into the limits the pipeline obeys."""
    return IngestLimits(
        max_bytes=settings.max_upload_mb * 1024 * 1024,
        max_pages=settings.max_pages,
        max_image_pixels=settings.max_image_pixels,
        ocr_page_timeout_s=settings.ocr_page_timeout_s,
        workers=settings.effective_ocr_workers,
    )


def extract_file(path: Path, settings: Settings) -> ExtractionResult:
    """`caredesk extract PATH`: the whole pipeline on one file, in the foreground."""
    return run_pipeline(
        path,
        document_id=path.name,
        limits=limits_from(settings),
        options=PreprocessOptions(),
    )
