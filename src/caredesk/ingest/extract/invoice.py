"""Invoices, bills and receipts, at home and abroad: header fields, totals, currency; the line
items are read in line_items.py."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from caredesk.domain.documents import BoundingBox, ExtractedField, LineItem, OcrWord
from caredesk.ingest.extract.engine import (
    Candidate,
    DocumentView,
    best_field,
    confidence_of,
    labelled_candidates,
)
from caredesk.ingest.extract.layout import Row, gap_split
from caredesk.ingest.extract.line_items import COLUMNS, EXTRACTOR, line_items
from caredesk.ingest.extract.parsers import (
    Parsed,
    Parser,
    joined,
    parse_date_value,
    parse_money,
    parse_reference,
    words_in_span,
)
from caredesk.ingest.extract.values import currency_in

FIELDS: dict[str, tuple[tuple[str, ...], Parser]] = {
    "invoice_number": (
        (
            "Invoice #",
            "Invoice No.",
            "Invoice no",
            "Invoice Number",
            "Rechnungsnr. / Invoice no.",
            "N° de facture / Invoice no.",
            "Factuurnummer / Invoice no.",
            "Statement no",
            "Receipt no",
            "Bill no",
            "Rechnungsnr.",
            "Factuurnummer",
        ),
        parse_reference,
    ),
    "invoice_date": (
        (
            "Invoice Date",
            "Rechnungsdatum / Date",
            "Date de facture / Date",
            "Factuurdatum / Date",
            "Invoice Date / Tax Point",
            "Date",
        ),
        parse_date_value,
    ),
    "due_date": (
        (
            "Due Date",
            "Fällig am / Due date",
            "Échéance / Due date",
            "Vervaldatum / Due date",
            "Payment Due",
            "Payment due date",
            "Due",  # "Payment / Due" wrapped over two lines
        ),
        parse_date_value,
    ),
    "account_reference": (
        (
            "Account #",
            "Kundennr. / Customer no.",
            "Réf. client / Account",
            "Klantnummer / Account",
            "Account Ref.",
            "Your Ref.",
            "Account",
            "Customer no.",
            "Account No.",
        ),
        parse_reference,
    ),
    "subtotal": (
        ("Subtotal", "Nettobetrag / Net", "Total HT / Net", "Subtotaal / Net", "Net amount", "Net"),
        parse_money,
    ),
    "tax": (("Sales tax", "VAT", "MwSt.", "TVA", "BTW", "Tax"), parse_money),
    "total_amount": (
        (
            "Total Due",
            "Gesamtbetrag / Total",
            "Total TTC / Total",
            "Totaal / Total",
            "Total",
            "Amount Due",
            "Balance Due",
        ),
        parse_money,
    ),
}
OTHER_LABELS = ("Bill To", "Attn", "Phone", "Fax", "Ship To", "Page")
TITLES = frozenset(
    {
        "invoice",
        "tax invoice",
        "vat invoice",
        "rechnung / invoice",
        "rechnung",
        "facture / invoice",
        "facture",
        "factuur / invoice",
        "factuur",
        "statement",
        "receipt",
        "bill",
    }
)
PHRASES = tuple(
    phrase
    for group in (*(p for p, _ in FIELDS.values()), *COLUMNS.values(), OTHER_LABELS)
    for phrase in group
)


def extract_invoice(view: DocumentView) -> tuple[dict[str, ExtractedField], list[LineItem]]:
    candidates = labelled_candidates(view, FIELDS)
    _balance_totals(candidates)
    fields = {
        name: found
        for name, found in (
            (n, best_field(view.document_id, c, EXTRACTOR)) for n, c in candidates.items()
        )
        if found is not None
    }
    for extra in (
        _total_by_sum(view, fields),
        _vendor(view),
        _currency(view, fields),
        _due_by_terms(view, fields),
    ):
        if extra is not None:
            fields[extra.name] = extra
    subtotal = fields.get("subtotal")
    net = Decimal(str(subtotal.normalized)) if subtotal is not None else None
    return fields, line_items(view, net)


_TOTALS = ("subtotal", "tax", "total_amount")


def _balance_totals(candidates: dict[str, list[Candidate]]) -> None:
    """Keep the net, tax and total readings that add up, when some do: "VAT Reg No GB 000"
    is not the tax line when "VAT 20% 73.34" makes 366.69 + 73.34 = 440.03."""
    readings = [candidates.get(name, []) for name in _TOTALS]
    if not all(readings) or max(len(r) for r in readings) == 1:
        return
    fits = [
        (net, tax, total)
        for net in readings[0]
        for tax in readings[1]
        for total in readings[2]
        if _money(net) + _money(tax) == _money(total)
    ]
    if fits:
        best = max(fits, key=lambda fit: sum(confidence_of(c) for c in fit))
        for name, chosen in zip(_TOTALS, best, strict=True):
            candidates[name] = [chosen]


# A net, tax or total found by the sum alone, its caption lost: never auto-accepted.
BY_SUM_SCORE = 0.8


def _total_by_sum(view: DocumentView, fields: dict[str, ExtractedField]) -> ExtractedField | None:
    """The one of net, tax and total whose caption OCR lost ("BIW 9%" for "BTW 9%"): the
    one row beside the other two whose amount makes net + tax = total."""
    known = {name: fields[name] for name in _TOTALS if name in fields}
    evidence = [found.evidence for found in known.values() if found.evidence is not None]
    if len(known) != 2 or len(evidence) != 2 or evidence[0].page != evidence[1].page:
        return None
    (missing,) = set(_TOTALS) - set(known)
    value = {name: Decimal(str(found.normalized)) for name, found in known.items()}
    if missing == "total_amount":
        wanted = value["subtotal"] + value["tax"]
    else:
        wanted = value["total_amount"] - sum(v for n, v in value.items() if n != "total_amount")
    reach = 3 * max(e.bbox.y1 - e.bbox.y0 for e in evidence)
    top, bottom = min(e.bbox.y0 for e in evidence) - reach, max(e.bbox.y1 for e in evidence) + reach
    found = [
        parsed
        for row in view.page_rows(evidence[0].page)
        if top <= row.top
        and row.bottom <= bottom
        and not any(_holds(row, e.bbox) for e in evidence)
        and (parsed := parse_money(row.words, view.dates)) is not None
        and Decimal(str(parsed.normalized)) == wanted
    ]
    if len(found) != 1:
        return None
    candidate = Candidate(missing, found[0], evidence[0].page, BY_SUM_SCORE)
    return best_field(view.document_id, [candidate], EXTRACTOR)


def _holds(row: Row, box: BoundingBox) -> bool:
    return row.top <= (box.y0 + box.y1) / 2 <= row.bottom


def _money(candidate: Candidate) -> Decimal:
    return Decimal(str(candidate.parsed.normalized))


def _vendor(view: DocumentView) -> ExtractedField | None:
    """The biggest non-title text near the top of page one: the supplier's letterhead."""
    if not view.rows:
        return None
    first = [r for r in view.rows if r.page == view.rows[0].page]
    page_height = max(w.bbox.page_height for r in first for w in r.words) or 1
    best: list[OcrWord] | None = None
    for row in first:
        if row.top > 0.2 * page_height:
            break
        for part in gap_split(row.words, factor=2.0):
            segment = _without_monogram(_trimmed(_without_title(part)))
            text = " ".join(w.text for w in segment)
            if not segment or _not_a_name(text) or text.endswith(":"):
                continue
            if best is None or _height(segment) > _height(best) * 1.05:
                best = segment
    if best is None:
        return None
    parsed = Parsed(
        " ".join(w.text for w in best), " ".join(w.text for w in best), tuple(best), 0.95
    )
    return best_field(
        view.document_id, [Candidate("vendor_name", parsed, first[0].page, 1.0)], EXTRACTOR
    )


def _trimmed(words: Sequence[OcrWord]) -> list[OcrWord]:
    """A letterhead line without the speck OCR read before it ("ress", "25"), the dash
    that parted it from a title ("B.V. - Factuur"), or a page whose words it could hardly
    read."""
    kept = list(words)
    while kept and (kept[0].confidence < 50 or not any(ch.isalpha() for ch in kept[0].text)):
        kept = kept[1:]
    while kept and not any(ch.isalnum() for ch in kept[-1].text):
        kept = kept[:-1]
    if kept and sum(w.confidence for w in kept) / len(kept) < 50:
        return []
    return kept


# Words set this much taller or shorter than the word before them are another element of
# the letterhead: the document's title beside the supplier's name ("GmbH  Rechnung / Invoice").
_TYPE_SIZE_JUMP = 1.4


def _without_title(words: Sequence[OcrWord]) -> list[OcrWord]:
    """A letterhead line without the document's title set in bigger type after the name."""
    for i in range(1, len(words)):
        before, after = (w.bbox.y1 - w.bbox.y0 for w in (words[i - 1], words[i]))
        jump = max(before, after) > _TYPE_SIZE_JUMP * max(1.0, min(before, after))
        if jump and " ".join(w.text for w in words[i:]).lower() in TITLES:
            return list(words[:i])
    return list(words)


def _without_monogram(words: list[OcrWord]) -> list[OcrWord]:
    """A letterhead without the logo's monogram before the name ("BMG Beispiel
    Medizintechnik GmbH"): capitals that are the initials of the words after them."""
    if len(words) < 3:
        return words
    first, rest = words[0].text, words[1:]
    initials = "".join(w.text[0] for w in rest if w.text[:1].isalpha()).upper()
    return (
        rest
        if first.isupper() and 2 <= len(first) == len(initials) and first == initials
        else words
    )


def _not_a_name(text: str) -> bool:
    lowered = " ".join(text.lower().replace("*", " ").split())
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    return lowered in TITLES or letters < 4 or digits > 2 or "from:" in lowered


def _height(words: Sequence[OcrWord]) -> float:
    return sorted(w.bbox.y1 - w.bbox.y0 for w in words)[len(words) // 2]


def _currency(view: DocumentView, fields: dict[str, ExtractedField]) -> ExtractedField | None:
    """The currency printed with the total, else the one most amounts carry."""
    sources: list[Sequence[OcrWord]] = []
    total = fields.get("total_amount")
    if total is not None and total.evidence is not None:
        rows = [
            r
            for r in view.rows
            if r.page == total.evidence.page
            and r.top <= total.evidence.bbox.y1
            and r.bottom >= total.evidence.bbox.y0
        ]
        sources += [r.words for r in rows]
    sources += [r.words for r in view.rows]
    for words in sources:
        for word in words:
            code = currency_in(word.text)
            if code is not None:
                parsed = Parsed(word.text, code, (word,), 1.0)
                candidate = Candidate("currency", parsed, view.rows[0].page, 0.95)
                return best_field(view.document_id, [candidate], EXTRACTOR)
    return None


# Payment terms: "Payable within 14 days", "Net 30" (OCR: "14 cays").
_TERMS = re.compile(r"\bwithin (\d{1,3}) [a-z]?ays\b|\bnet (\d{1,3})\b", re.IGNORECASE)
# A due date worked out from the terms, not read: never auto-accepted.
DUE_BY_TERMS_SCORE = 0.75


def _due_by_terms(view: DocumentView, fields: dict[str, ExtractedField]) -> ExtractedField | None:
    """The due date the payment terms give ("Payable within 14 days" after the invoice
    date), when the printed one could not be read: OCR lost its caption or misread a digit."""
    invoice_date = fields.get("invoice_date")
    if "due_date" in fields or invoice_date is None:
        return None
    found = []
    for row in view.rows:
        text, spans = joined(row.words)
        match = _TERMS.search(text)
        if match is not None:
            found.append((int(match[1] or match[2]), match, row, spans))
    if len({days for days, _, _, _ in found}) != 1:
        return None  # no terms, or two that disagree
    days, match, row, spans = found[0]
    due = date.fromisoformat(str(invoice_date.normalized)) + timedelta(days=days)
    words = words_in_span(row.words, spans, match.start(), match.end())
    candidate = Candidate(
        "due_date", Parsed(match[0], due.isoformat(), words), row.page, DUE_BY_TERMS_SCORE
    )
    return best_field(view.document_id, [candidate], EXTRACTOR)
