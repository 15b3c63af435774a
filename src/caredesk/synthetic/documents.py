"""One synthetic document: choose its facts, draw it with a layout, and build its ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from caredesk.synthetic import billing, facts
from caredesk.synthetic.layouts import LAYOUTS
from caredesk.synthetic.people import phone_number
from caredesk.synthetic.sheet import FaxStamp, Sheet

DOC_TYPES = ("referral", "pa_request", "invoice", "payer_letter", "clinical_note", "other")


@dataclass(frozen=True)
class RenderedDocument:
    """A clean PDF and everything its ground truth says about it."""

    doc_id: str
    doc_type: str
    layout: str
    pdf: bytes
    pages: int
    fields: dict[str, Any]
    printed: dict[str, Any]
    field_pages: dict[str, int]
    line_items: list[dict[str, Any]] = field(default_factory=list)
    hidden_text: list[str] = field(default_factory=list)

    def truth(self, variant: str, file_format: str, pages: int | None = None) -> dict[str, Any]:
        """The ground-truth record; `pages` limits it to the first pages (single-image files)."""
        kept = pages or self.pages
        names = [
            name
            for name in facts.FIELD_ORDER
            if name in self.fields and self.field_pages.get(name, 1) <= kept
        ]
        truth: dict[str, Any] = {
            "doc_id": self.doc_id,
            "doc_type": self.doc_type,
            "layout": self.layout,
            "variant": variant,
            "format": file_format,
            "pages": kept,
            "fields": {name: self.fields[name] for name in names},
            "line_items": self.line_items if kept >= self.pages else [],
            "printed": {name: self.printed[name] for name in names},
            "field_pages": {name: self.field_pages[name] for name in names},
        }
        if self.hidden_text:
            truth["hidden_text"] = self.hidden_text
        return truth


def make_facts(rng: Random, doc_type: str, layout: str = "") -> Any:
    """The facts a document of `doc_type` prints; some layouts only suit some facts."""
    if doc_type == "invoice":
        abroad = [vendor for vendor in billing.VENDORS if vendor.country != "us"]
        return billing.make_invoice(rng, rng.choice(abroad) if layout == "invoice-b" else None)
    if doc_type == "payer_letter":
        return facts.make_letter(rng, facts.make_episode(rng))
    if doc_type == "other":
        return facts.make_cover(rng)
    if doc_type == "pa_request":
        return facts.make_episode(rng, service=rng.choice(facts.PA_SERVICES))
    return facts.make_episode(rng)


def truth_source(document_facts: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(all truth fields the facts could print, line items)."""
    if isinstance(document_facts, billing.InvoiceFacts):
        return document_facts.truth_fields(), document_facts.truth_line_items()
    if isinstance(document_facts, facts.Episode | facts.LetterFacts):
        return document_facts.truth_fields(), []
    return {}, []


def sender_of(document_facts: Any) -> str:
    """Who would have faxed this paper: the clinic, the payer, the vendor."""
    if isinstance(document_facts, facts.Episode):
        return document_facts.ordering.clinic
    if isinstance(document_facts, facts.LetterFacts):
        return document_facts.episode.patient.payer.name
    if isinstance(document_facts, billing.InvoiceFacts):
        return document_facts.vendor.name
    if isinstance(document_facts, facts.CoverFacts):
        return document_facts.sender
    return "FAX"


def dated(document_facts: Any) -> date:
    """The date the paper carries, so the fax that sends it comes after it."""
    if isinstance(document_facts, facts.Episode):
        return document_facts.order_date
    if isinstance(document_facts, facts.LetterFacts):
        return document_facts.letter_date
    if isinstance(document_facts, billing.InvoiceFacts):
        return document_facts.invoice_date
    if isinstance(document_facts, facts.CoverFacts):
        return document_facts.sent_at.date()
    return facts.ANCHOR


def fax_stamp(rng: Random, sender: str, after: date) -> FaxStamp:
    sent = after + timedelta(days=rng.randint(0, 3))
    when = datetime(sent.year, sent.month, sent.day, rng.randint(7, 18), rng.randint(0, 59))
    return FaxStamp(sender[:24], phone_number(rng), phone_number(rng), when, rng.randint(0, 1))


def render(
    rng: Random,
    doc_id: str,
    doc_type: str,
    layout: str,
    document_facts: Any,
    *,
    stamp: FaxStamp | None = None,
) -> RenderedDocument:
    """Draw `document_facts` with `layout` and keep only the truth the layout printed."""
    allowed = facts.FIELDS_BY_TYPE[doc_type]
    sheets: list[Sheet] = []

    def new_sheet(*, total_pages: int = 1, page: str = "letter") -> Sheet:
        sheets.append(
            Sheet(allowed_fields=allowed, total_pages=total_pages, page=page, fax_stamp=stamp)
        )
        return sheets[-1]

    sheet = LAYOUTS[doc_type][layout](rng, document_facts, new_sheet)
    pdf = sheet.finish()
    every_field, line_items = truth_source(document_facts)
    printed = {name: every_field[name] for name in sheet.printed}
    return RenderedDocument(
        doc_id,
        doc_type,
        layout,
        pdf,
        sheet.total_pages,
        printed,
        dict(sheet.printed),
        dict(sheet.field_pages),
        line_items,
        list(sheet.hidden_text),
    )
