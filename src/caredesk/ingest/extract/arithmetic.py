"""Cross-checks inside an invoice table that mend OCR slips: quantity × unit price = amount,
and one supplier's article codes share one prefix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from caredesk.ingest.extract.layout import edit_distance

MAX_QUANTITY = 999


def quantity_from_prices(amount: Decimal, unit: Decimal) -> str | None:
    """The quantity a row must have when OCR lost it: amount ÷ unit price, if whole."""
    if unit <= 0 or amount <= 0:
        return None
    ratio = amount / unit
    if ratio != ratio.to_integral_value() or not 1 <= ratio <= MAX_QUANTITY:
        return None
    return str(int(ratio))


def repaired_amount(printed: Decimal, quantity: int, unit: Decimal) -> Decimal | None:
    """quantity × unit price when the printed amount is that figure with one digit misread
    ("289.70" for 3 × 99.90); None when they agree or differ by more than a slip."""
    expected = (unit * quantity).quantize(Decimal("0.01"))
    shown = printed.quantize(Decimal("0.01"))
    if expected == shown or quantity <= 0:
        return None
    a, b = f"{expected:.2f}", f"{shown:.2f}"
    if len(a) != len(b) or sum(x != y for x, y in zip(a, b, strict=True)) != 1:
        return None
    return expected


def repaired_quantity_amount(printed: Decimal, unit: Decimal) -> tuple[str, Decimal] | None:
    """(quantity, amount) when OCR lost the quantity and misread one digit of the amount:
    the only one-digit change of the amount that is a whole multiple of the unit price."""
    if unit <= 0:
        return None
    shown = f"{printed.quantize(Decimal('0.01')):.2f}"
    found = set()
    for index, char in enumerate(shown):
        if not char.isdigit():
            continue
        for digit in "0123456789":
            if digit == char or (index == 0 and digit == "0"):
                continue
            candidate = Decimal(shown[:index] + digit + shown[index + 1 :])
            quantity = quantity_from_prices(candidate, unit)
            if quantity is not None:
                found.add((quantity, candidate))
    return found.pop() if len(found) == 1 else None


def shared_prefix_codes(codes: Sequence[str]) -> list[str]:
    """Article codes with OCR-garbled prefixes ("SOO-62044", "VVZ-40218") set to the prefix
    most of the table's codes share, when the garbled one is within two slips of it."""
    prefixes = [code.partition("-")[0] for code in codes if "-" in code]
    if len(prefixes) < 2:
        return list(codes)
    common, count = Counter(prefixes).most_common(1)[0]
    if count * 2 <= len(prefixes):
        return list(codes)
    mended = []
    for code in codes:
        prefix, dash, rest = code.partition("-")
        close = dash and prefix != common and edit_distance(prefix, common) <= 2
        mended.append(f"{common}-{rest}" if close else code)
    return mended
