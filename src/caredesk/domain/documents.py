"""Documents, pages, OCR words, extracted fields and the evidence behind every value."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DocumentStatus(StrEnum):
    """Where a document is in ingestion: queued → processing → ready | needs_attention | failed."""

    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    NEEDS_ATTENTION = "needs_attention"
    FAILED = "failed"


class DocType(StrEnum):
    """What kind of paper a document is."""

    REFERRAL = "referral"
    INVOICE = "invoice"
    PA_REQUEST = "pa_request"
    PAYER_LETTER = "payer_letter"
    CLINICAL_NOTE = "clinical_note"
    OTHER = "other"


class PageQuality(StrEnum):
    """How well a page read, graded from OCR confidence; drives how much a person must check."""

    POOR = "poor"
    FAIR = "fair"
    GOOD = "good"
    EXCELLENT = "excellent"


class PageSource(StrEnum):
    """Where a page's words came from: the PDF's own text layer or OCR of its image."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"


class PageStatus(StrEnum):
    """Whether a page produced words; an unreadable page carries a reason and the rest go on."""

    OK = "ok"
    UNREADABLE = "unreadable"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BoundingBox(_Frozen):
    """A box in page pixels at the page's OCR resolution; page size travels along for scaling."""

    x0: float
    y0: float
    x1: float
    y1: float
    page_width: int = Field(ge=0)
    page_height: int = Field(ge=0)

    def union(self, other: BoundingBox) -> BoundingBox:
        return BoundingBox(
            x0=min(self.x0, other.x0),
            y0=min(self.y0, other.y0),
            x1=max(self.x1, other.x1),
            y1=max(self.y1, other.y1),
            page_width=self.page_width,
            page_height=self.page_height,
        )

    def contains(self, other: BoundingBox, tolerance: float = 1.0) -> bool:
        return (
            self.x0 - tolerance <= other.x0
            and self.y0 - tolerance <= other.y0
            and other.x1 <= self.x1 + tolerance
            and other.y1 <= self.y1 + tolerance
        )

    def scaled(self, width: int, height: int) -> BoundingBox:
        """The same box on a rendering of the page at another size (a thumbnail, a viewer)."""
        sx = width / self.page_width if self.page_width else 1.0
        sy = height / self.page_height if self.page_height else 1.0
        return BoundingBox(
            x0=self.x0 * sx,
            y0=self.y0 * sy,
            x1=self.x1 * sx,
            y1=self.y1 * sy,
            page_width=width,
            page_height=height,
        )

    def as_list(self) -> list[float]:
        return [round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1)]


class OcrWord(_Frozen):
    """One word on a page with its box, OCR confidence (0–100) and tesseract line and block."""

    text: str
    bbox: BoundingBox
    confidence: float = Field(ge=0, le=100)
    line: int = Field(ge=0)
    block: int = Field(ge=0)


class PageResult(_Frozen):
    """One page as read: its words, how it was read, and whether it could be read at all."""

    number: int = Field(ge=1)
    source: PageSource
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    dpi: int = Field(ge=0)
    words: tuple[OcrWord, ...] = ()
    quality: PageQuality = PageQuality.POOR
    mean_confidence: float = Field(0.0, ge=0, le=100)
    rotation: int = 0
    skew: float = 0.0
    status: PageStatus = PageStatus.OK
    reason: str = ""

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


class Evidence(_Frozen):
    """Where a value came from: document, page, box of its words, OCR confidence, extractor."""

    document_id: str
    page: int = Field(ge=1)
    bbox: BoundingBox
    ocr_confidence: float = Field(ge=0, le=100)
    extractor: str


class ValidationIssue(_Frozen):
    """Why a validator doubts a value (bad NPI check digit, unknown ICD-10-CM code, ...)."""

    check: str
    reason: str


Normalized = str | list[Any] | dict[str, Any] | None


class ExtractedField(_Frozen):
    """One extracted value: raw text, normalized value, confidence 0–1 and its evidence."""

    name: str
    value: str
    normalized: Normalized = None
    confidence: float = Field(ge=0, le=1)
    evidence: Evidence | None = None
    validation: tuple[ValidationIssue, ...] = ()


class LineItem(_Frozen):
    """One row of an invoice or request table, each cell normalized (decimal strings, codes)."""

    code: str = ""
    description: str = ""
    quantity: str = ""
    amount: str = ""
    confidence: float = Field(1.0, ge=0, le=1)
    evidence: Evidence | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "quantity": self.quantity,
            "amount": self.amount,
            "confidence": round(self.confidence, 3),
        }


class ExtractionResult(_Frozen):
    """What the pipeline understood of one document: its type, pages, fields and line items."""

    document_id: str
    doc_type: DocType
    doc_type_confidence: float = Field(ge=0, le=1)
    pages: tuple[PageResult, ...] = ()
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    line_items: tuple[LineItem, ...] = ()
    warnings: tuple[str, ...] = ()

    def extract_json(self) -> dict[str, Any]:
        """The stable `caredesk extract --json` shape; other tools depend on it, keep it so."""
        return {
            "doc_type": self.doc_type.value,
            "doc_type_confidence": round(self.doc_type_confidence, 3),
            "pages": [_page_json(page) for page in self.pages],
            "fields": {name: _field_json(f) for name, f in sorted(self.fields.items())},
            "line_items": [item.as_json() for item in self.line_items],
            "warnings": list(self.warnings),
        }


def _page_json(page: PageResult) -> dict[str, Any]:
    return {
        "number": page.number,
        "quality": page.quality.value,
        "mean_confidence": round(page.mean_confidence, 1),
    }


def _field_json(field: ExtractedField) -> dict[str, Any]:
    evidence = field.evidence
    return {
        "value": field.value,
        "normalized": field.normalized,
        "confidence": round(field.confidence, 3),
        "evidence": None
        if evidence is None
        else {
            "page": evidence.page,
            "bbox": evidence.bbox.as_list(),
            "ocr_confidence": round(evidence.ocr_confidence, 1),
        },
    }


__all__ = [
    "BoundingBox",
    "DocType",
    "DocumentStatus",
    "Evidence",
    "ExtractedField",
    "ExtractionResult",
    "LineItem",
    "Normalized",
    "OcrWord",
    "PageQuality",
    "PageResult",
    "PageSource",
    "PageStatus",
    "ValidationIssue",
]
