"""Invoice line items: a table under its column captions, or a receipt's "CODE description"
over "2 x 4,37  8,74"; each amount checked against quantity x unit price and, when that fails,
the items against the subtotal."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from caredesk.domain.documents import LineItem, OcrWord
from caredesk.ingest.extract.arithmetic import (
    quantity_from_prices,
    repaired_amount,
    repaired_quantity_amount,
    shared_prefix_codes,
)
from caredesk.ingest.extract.engine import Candidate, DocumentView, confidence_of
from caredesk.ingest.extract.layout import LabelHit, Row, evidence_for, inked
from caredesk.ingest.extract.parsers import Parsed, amount_groups, joined, parse_money
from caredesk.ingest.extract.values import parse_amount, parse_quantity

EXTRACTOR = "invoice-layout-v1"  # the invoice extractor reads the items too
# A line item whose quantity or amount came from the arithmetic check, not from print.
MENDED_ITEM_FACTOR = 0.85
COLUMNS = {
    "code": ("Code", "Art.-Nr.", "Item", "Item #", "SKU", "Art.-Nr"),
    "description": ("Description", "Omschrijving", "Désignation", "Bezeichnung"),
    "quantity": ("Qty", "Quantity", "Menge", "Qté", "Aantal"),
    "unit": ("Unit Price", "Unit price", "Price"),
    "amount": ("Amount", "Line Total", "Betrag", "Montant", "Bedrag"),
    "position": ("Pos.", "#"),
}


def line_items(view: DocumentView, subtotal: Decimal | None) -> list[LineItem]:
    """The items, each amount checked against quantity x unit price; when the amounts as
    printed add up to the subtotal and the checked ones do not, the misread figure was the
    unit price ("1 x 13,22  43,22"), and the printed amounts stand."""
    header = _header(view)

    def read(trust_amounts: bool) -> list[LineItem]:
        if header is not None:
            return _table_items(view, header, trust_amounts=trust_amounts)
        return _till_items(view, trust_amounts=trust_amounts)

    items = read(trust_amounts=False)
    if subtotal is not None and _sum(items) != subtotal:
        printed = read(trust_amounts=True)
        if _sum(printed) == subtotal:
            items = printed
    codes = shared_prefix_codes([item.code for item in items])
    return [
        item if code == item.code else item.model_copy(update={"code": code})
        for item, code in zip(items, codes, strict=True)
    ]


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


def _sum(items: Sequence[LineItem]) -> Decimal:
    return sum((Decimal(item.amount) for item in items), Decimal(0))


def _table_items(
    view: DocumentView, header: list[tuple[str, LabelHit]], *, trust_amounts: bool = False
) -> list[LineItem]:
    first = header[0][1]
    rows = view.page_rows(first.row.page)
    items: list[LineItem] = []
    spans = _column_spans(header)
    spans_kinds = {kind for kind, _, _ in spans}
    second_column = spans[1][1] if len(spans) > 1 else 1e9
    previous = first.row
    for row in rows[first.row.index + 1 :]:
        if row.top - previous.bottom > 2.5 * max(row.height, first.height):
            break
        if _rule_only(row):
            continue  # a table rule between items, as OCR reads it ("|", "~ —")
        if row.words[0].bbox.x0 >= second_column:
            break  # the totals box, right-aligned under the table
        cells = _cells(row, spans)
        amount = parse_money(cells.get("amount", []), view.dates)
        if amount is None or not cells.get("description"):
            break
        has_quantity = "quantity" in spans_kinds
        items.append(_item(view, row, cells, amount, has_quantity, trust_amounts))
        previous = row
    return items


def _rule_only(row: Row) -> bool:
    """A row of nothing but marks OCR made of a table's rules: short, without digits."""
    return all(len(w.text) <= 2 and not any(ch.isdigit() for ch in w.text) for w in row.words)


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
    view: DocumentView,
    row: Row,
    cells: dict[str, list[OcrWord]],
    amount: Parsed,
    has_quantity: bool,
    trust_amounts: bool,
) -> LineItem:
    code_words = cells.get("code", [])
    description = list(cells.get("description", []))
    quantity_words = cells.get("quantity", [])
    if not has_quantity and len(description) > 1 and re.fullmatch(r"\d{1,3}", description[-1].text):
        # OCR lost the "Qty" caption: the count stands at the end of the description cell.
        quantity_words, description = description[-1:], description[:-1]
    quantity = parse_quantity(" ".join(w.text for w in quantity_words)) or ""
    unit = parse_money(cells.get("unit", []), view.dates)
    unit_value = str(unit.normalized) if unit else None
    split = _split_cents(cells.get("amount", [])), _split_cents(cells.get("unit", []))
    if split[0] and split[1] and quantity and Decimal(quantity) * split[1] == split[0]:
        # "3  99 90  299 70": OCR lost both decimal points; the arithmetic vouches for them.
        amount = Parsed(amount.value, f"{split[0]:.2f}", tuple(cells["amount"]))
        unit_value = f"{split[1]:.2f}"
    words = [*code_words, *description, *quantity_words, *amount.words]
    value, quantity, mended = checked_amount(
        str(amount.normalized), quantity, unit_value, trust_amount=trust_amounts
    )
    confidence = confidence_of(Candidate("line_item", Parsed("", "", tuple(words)), row.page, 1.0))
    return LineItem(
        code=item_code(_code_text(code_words)),
        description=item_description(_inked(description)),
        quantity=quantity,
        amount=value,
        confidence=round(confidence * (MENDED_ITEM_FACTOR if mended else 1.0), 4),
        evidence=evidence_for(view.document_id, row.page, words, EXTRACTOR),
    )


def _split_cents(words: Sequence[OcrWord]) -> Decimal | None:
    """An amount whose decimal point OCR lost between two words ("299 70"), or None."""
    texts = [w.text.strip(" |€$£") for w in words if w.text.strip(" |")]
    if len(texts) != 2 or not re.fullmatch(r"\d{1,6}", texts[0]):
        return None
    return Decimal(f"{texts[0]}.{texts[1]}") if re.fullmatch(r"\d\d", texts[1]) else None


def _code_text(words: Sequence[OcrWord]) -> str:
    """The article code in its cell: the word with digits when there is one (OCR adds marks
    for the rules beside it: "SO-62090 _ T"), else the cell's text."""
    numbered = [w.text for w in words if any(ch.isdigit() for ch in w.text)]
    return numbered[0] if numbered else " ".join(w.text for w in _inked(words))


def _inked(words: Sequence[OcrWord]) -> list[OcrWord]:
    """Words without the table rules OCR read at their ends ("|", "[", "_")."""
    kept = list(words)
    while kept and not inked(kept[0]):
        kept = kept[1:]
    while kept and not inked(kept[-1]):
        kept = kept[:-1]
    return kept


def checked_amount(
    amount: str, quantity: str, unit: str | None, *, trust_amount: bool = False
) -> tuple[str, str, bool]:
    """(amount, quantity, mended) after checking quantity × unit price = amount: a lost
    quantity is derived, and an amount with one misread digit is put right (unless the
    amount is vouched for: `trust_amount`)."""
    if unit is None:
        return amount, quantity, False
    price, total = Decimal(unit), Decimal(amount)
    derived = quantity_from_prices(total, price)
    if trust_amount:
        if not quantity.isdigit() and derived is not None:
            return amount, derived, True
        return amount, quantity, False
    if quantity.isdigit():
        fixed = repaired_amount(total, int(quantity), price)
        if fixed is not None:
            return f"{fixed:.2f}", quantity, True
        if derived is not None and derived != quantity:
            return amount, derived, True  # "32 x 6.73 = 20.19": the count was misread
        return amount, quantity, False
    if derived is not None:
        return amount, derived, True
    both = repaired_quantity_amount(total, price)
    if both is None:
        return amount, quantity, False
    return f"{both[1]:.2f}", both[0], True


_LETTERS_FOR = str.maketrans({"0": "O", "5": "S", "$": "S", "1": "I", "8": "B", "|": "I"})


def item_code(printed: str) -> str:
    """A supplier's article code ("SO-51007"): OCR digits in its letter prefix made letters."""
    code = printed.strip(" |!()[]{}").upper().replace("~", "-")
    code = re.sub(r"[-—–_]+$", "", code)  # a rule OCR ran into the code: "SO-51007-———_"
    if re.fullmatch(r"[£€]\d{4}", code):
        return "E" + code[1:]  # a HCPCS E-code whose E OCR read as a currency sign
    prefix, dash, rest = code.partition("-")
    if dash and rest[:1].isdigit() and len(prefix) <= 4 and any(c.isalpha() for c in prefix + "S"):
        return prefix.translate(_LETTERS_FOR) + dash + rest
    return code


def item_description(words: Sequence[OcrWord]) -> str:
    """The description as printed; fax OCR's braces for brackets ("(box of 5}") put right."""
    return " ".join(w.text for w in words).replace("{", "(").replace("}", ")")


_TILL_AMOUNTS = re.compile(r"^(?P<qty>\d+)\s*[xX×]\s*\S+")


def _till_items(view: DocumentView, *, trust_amounts: bool = False) -> list[LineItem]:
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
        unit = parse_amount(" ".join(w.text for w in groups[-2])) if len(groups) >= 3 else None
        amount, quantity, mended = checked_amount(
            money.canonical,
            match["qty"],
            unit.canonical if unit else None,
            trust_amount=trust_amounts,
        )
        items.append(
            LineItem(
                code=item_code(above.words[0].text),
                description=item_description(above.words[1:]),
                quantity=quantity,
                amount=amount,
                confidence=round(confidence * (MENDED_ITEM_FACTOR if mended else 1.0), 4),
                evidence=evidence_for(view.document_id, row.page, words, EXTRACTOR),
            )
        )
    return items
