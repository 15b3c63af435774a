"""Per-type field extractors over OCR words with layout; each field carries its evidence."""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.domain.documents import DocType, ExtractedField, LineItem, PageResult
from caredesk.ingest.extract import invoice, letter, note, referral
from caredesk.ingest.extract.engine import DocumentView
from caredesk.ingest.extract.layout import LabelIndex

_PHRASES: dict[DocType, tuple[str, ...]] = {
    DocType.REFERRAL: referral.PHRASES,
    DocType.PA_REQUEST: referral.PHRASES,
    DocType.INVOICE: invoice.PHRASES,
    DocType.PAYER_LETTER: letter.PHRASES,
    DocType.CLINICAL_NOTE: note.PHRASES,
}
_INDEXES: dict[DocType, LabelIndex] = {}


def extract_fields(
    doc_type: DocType, document_id: str, pages: Sequence[PageResult]
) -> tuple[dict[str, ExtractedField], list[LineItem]]:
    """Fields and line items of a document of `doc_type`; `other` documents have none."""
    phrases = _PHRASES.get(doc_type)
    if phrases is None:
        return {}, []
    index = _INDEXES.setdefault(doc_type, LabelIndex(phrases))
    view = DocumentView(document_id, pages, index)
    if doc_type is DocType.INVOICE:
        return invoice.extract_invoice(view)
    if doc_type is DocType.PAYER_LETTER:
        return letter.extract_letter(view), []
    if doc_type is DocType.CLINICAL_NOTE:
        return note.extract_note(view), []
    return referral.extract_referral(view), []


__all__ = ["extract_fields"]
