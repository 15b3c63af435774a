"""Invoices, bills and receipts, at home and abroad: header fields, line items, totals, currency."""

from __future__ import annotations

import re
from collections.abc import Sequence

from caredesk.domain.documents import ExtractedField, LineItem, OcrWord
from caredesk.ingest.extract.engine import (
    Candidate,
    DocumentView,
    best_field,
    confidence_of,
    label_score,
    read_label,
)
from caredesk.ingest.extract.layout import LabelHit, Row, evidence_for, gap_split
from caredesk.ingest.extract.parsers import (
    Parsed,
    Parser,
    amount_groups,
    joined,
    parse_date_value,
    parse_money,
    parse_reference,
)
from caredesk.ingest.extract.values import currency_in, parse_amount, parse_quantity

EXTRACTOR = "invoice-layout-v1"

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
COLUMNS = {
    "code": ("Code", "Art.-Nr.", "Item", "Item #", "SKU", "Art.-Nr"),
    "description": ("Description", "Omschrijving", "Désignation", "Bezeichnung"),
    "quantity": ("Qty", "Quantity", "Menge", "Qté", "Aantal"),
    "unit": ("Unit Price", "Unit price", "Price"),
    "amount": ("Amount", "Line Total", "Betrag", "Montant", "Bedrag"),
    "position": ("Pos.", "#"),
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
    candidates: dict[str, list[Candidate]] = {}
    for name, (phrases, parser) in FIELDS.items():
        for hit in view.hits_for(phrases):
            parsed = read_label(view, hit, parser)
            if parsed is not None and parsed.words:
                candidates.setdefault(name, []).append(
                    Candidate(name, parsed, hit.row.page, label_score(hit))
                )
    fields = {
        name: found
        for name, found in (
            (n, best_field(view.document_id, c, EXTRACTOR)) for n, c in candidates.items()
        )
        if found is not None
    }
    for extra in (_vendor(view), _currency(view, fields)):
        if extra is not None:
            fields[extra.name] = extra
    return fields, _line_items(view)


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
        for segment in gap_split(row.words, factor=2.0):
            text = " ".join(w.text for w in segment)
            if _not_a_name(text):
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


def _line_items(view: DocumentView) -> list[LineItem]:
    header = _header(view)
    if header is not None:
        return _table_items(view, header)
    return _till_items(view)


def _header(view: DocumentView) -> list[tuple[str, LabelHit]] | None:
    """The row whose labels name a description and an amount column."""
    for row in view.rows:
        kinds: list[tuple[str, LabelHit]] = []
        for hit in view.row_hits(row):
            kind = next((k for k, phrases in COLUMNS.items() if hit.phrase in phrases), None)
            if kind is not None:
                kinds.append((kind, hit))
        names = {k for k, _ in kinds}
        if {"description", "amount"} <= names:
            return kinds
    return None


def _table_items(view: DocumentView, header: list[tuple[str, LabelHit]]) -> list[LineItem]:
    first = header[0][1]
    rows = view.page_rows(first.row.page)
    items: list[LineItem] = []
    spans = _column_spans(header)
    second_column = spans[1][1] if len(spans) > 1 else 1e9
    previous = first.row
    for row in rows[first.row.index + 1 :]:
        if row.top - previous.bottom > 2.5 * max(row.height, first.height):
            break
        if row.words[0].bbox.x0 >= second_column:
            break  # the totals box, right-aligned under the table
        cells = _cells(row, spans)
        amount = parse_money(cells.get("amount", []), view.dates)
        if amount is None or not cells.get("description"):
            break
        items.append(_item(view, row, cells, amount))
        previous = row
    return items


def _column_spans(header: list[tuple[str, LabelHit]]) -> list[tuple[str, float, float]]:
    """Each column from a little left of its caption to a little left of the next one."""
    ordered = sorted(header, key=lambda kv: kv[1].x0)
    spans = []
    for index, (kind, hit) in enumerate(ordered):
        start = hit.x0 - 0.6 * hit.height
        end = ordered[index + 1][1].x0 - 0.6 * hit.height if index + 1 < len(ordered) else 1e9
        spans.append((kind, start, end))
    return spans


def _cells(row: Row, spans: list[tuple[str, float, float]]) -> dict[str, list[OcrWord]]:
    cells: dict[str, list[OcrWord]] = {}
    for word in row.words:
        centre = (word.bbox.x0 + word.bbox.x1) / 2
        for kind, start, end in spans:
            if start <= word.bbox.x0 < end or (kind == "description" and start <= centre < end):
                cells.setdefault(kind, []).append(word)
                break
    return cells


def _item(
    view: DocumentView, row: Row, cells: dict[str, list[OcrWord]], amount: Parsed
) -> LineItem:
    code_words = cells.get("code", [])
    quantity_words = cells.get("quantity", [])
    words = [*code_words, *cells.get("description", []), *quantity_words, *amount.words]
    quantity = parse_quantity(" ".join(w.text for w in quantity_words)) or ""
    confidence = confidence_of(Candidate("line_item", Parsed("", "", tuple(words)), row.page, 1.0))
    return LineItem(
        code=item_code(" ".join(w.text for w in code_words)),
        description=" ".join(w.text for w in cells.get("description", [])),
        quantity=quantity,
        amount=str(amount.normalized),
        confidence=confidence,
        evidence=evidence_for(view.document_id, row.page, words, EXTRACTOR),
    )


_LETTERS_FOR = str.maketrans({"0": "O", "5": "S", "$": "S", "1": "I", "8": "B", "|": "I"})


def item_code(printed: str) -> str:
    """A supplier's article code ("SO-51007"): OCR digits in its letter prefix made letters."""
    code = printed.strip().upper()
    prefix, dash, rest = code.partition("-")
    if dash and rest[:1].isdigit() and len(prefix) <= 4 and any(c.isalpha() for c in prefix + "S"):
        return prefix.translate(_LETTERS_FOR) + dash + rest
    return code


_TILL_AMOUNTS = re.compile(r"^(?P<qty>\d+)\s*[xX×]\s*\S+")


def _till_items(view: DocumentView) -> list[LineItem]:
    """A receipt prints "CODE description" and under it "2 x 4,37      8,74"."""
    items: list[LineItem] = []
    for above, row in zip(view.rows, view.rows[1:], strict=False):
        text, _ = joined(row.words)
        match = _TILL_AMOUNTS.match(text)
        groups = amount_groups(row.words)
        if match is None or len(groups) < 2 or above.page != row.page:
            continue
        money = parse_amount(" ".join(w.text for w in groups[-1]))
        if money is None or len(above.words) < 2:
            continue
        words = [*above.words, *row.words]
        confidence = confidence_of(
            Candidate("line_item", Parsed("", "", tuple(words)), row.page, 1.0)
        )
        items.append(
            LineItem(
                code=item_code(above.words[0].text),
                description=" ".join(w.text for w in above.words[1:]),
                quantity=match["qty"],
                amount=money.canonical,
                confidence=confidence,
                evidence=evidence_for(view.document_id, row.page, words, EXTRACTOR),
            )
        )
    return items
