"""Pure parsers for printed dates and amounts, in the formats people actually print them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_WORD = r"(?<![A-Za-z])(?P<month_name>[A-Za-z]{3,9})\.?"
_NUMERIC = re.compile(
    r"(?<!\d)(?P<a>\d{1,4})\s?(?P<sep>[/.\-])\s?(?P<b>\d{1,2})\s?(?P=sep)\s?(?P<c>\d{2,4})(?!\d)"
)
# A day after a month's name may carry a 1 that fax OCR read as "]" or "|" ("April 1] 2026").
_MONTH_FIRST = re.compile(
    _MONTH_WORD
    + r"\s*(?P<day>\d{1,2}|\d[\]|]|[\]|]\d)(?![\d\]|])(?:st|nd|rd|th)?[,.]?\s*"
    + r"(?P<year>\d{4}|\d{2})(?!\d)"
)
_ONE_LOOKALIKES = str.maketrans({"]": "1", "|": "1"})
_DAY_FIRST = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th)?[\s\-.]*"
    + _MONTH_WORD
    + r"[\s\-,.]*(?P<year>\d{4}|\d{2})(?!\d)"
)

CURRENCY_SYMBOLS = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY"}
CURRENCY_CODES = frozenset({"USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK", "DKK"})
_AMOUNT = re.compile(r"[-(]?\d[\d.,' \u00a0\u202f]*\d|[-(]?\d")


@dataclass(frozen=True)
class DateContext:
    """What the rest of the page says about how its dates are written.

    `day_first`: True for DD/MM pages (European currency, a date like 25/03/2026 elsewhere on
    the page), False for MM/DD, None when nothing tells. `reference_year` anchors two-digit
    years.
    """

    day_first: bool | None = None
    reference_year: int = field(default_factory=lambda: date.today().year)


def parse_date(text: str, context: DateContext | None = None) -> date | None:
    """The first date in `text`, or None; ambiguous day/month resolved by `context` (by
    default: nothing known of the page, two-digit years anchored to this year)."""
    context = context or DateContext()
    cleaned = text.strip()
    for parser in (_parse_numeric, _parse_day_first, _parse_month_first):
        found = parser(cleaned, context)
        if found is not None:
            return found
    return None


def _parse_numeric(text: str, context: DateContext) -> date | None:
    match = _NUMERIC.search(text)
    if match is None:
        return None
    a, b, c, sep = match["a"], int(match["b"]), match["c"], match["sep"]
    if len(a) == 4:  # ISO: year first
        return _safe_date(int(a), b, int(c))
    first, year = int(a), _full_year(c, context.reference_year)
    if len(c) == 3:
        return None
    day_first = _day_first(first, b, sep, context)
    day, month = (first, b) if day_first else (b, first)
    return _safe_date(year, month, day)


def _day_first(first: int, second: int, sep: str, context: DateContext) -> bool:
    """Whether a numeric date a/b/y means day a: by the numbers if they tell, else by context."""
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    if sep == ".":
        return True  # dotted dates are a European habit (DD.MM.YYYY)
    if context.day_first is not None:
        return context.day_first
    return False  # a US intake desk: MM/DD unless something on the page says otherwise


def _parse_month_first(text: str, context: DateContext) -> date | None:
    for match in _MONTH_FIRST.finditer(text):
        month = MONTHS.get(match["month_name"].lower())
        if month is not None:
            year = _full_year(match["year"], context.reference_year)
            return _safe_date(year, month, int(match["day"].translate(_ONE_LOOKALIKES)))
    return None


def _parse_day_first(text: str, context: DateContext) -> date | None:
    for match in _DAY_FIRST.finditer(text):
        month = MONTHS.get(match["month_name"].lower())
        if month is not None:
            year = _full_year(match["year"], context.reference_year)
            return _safe_date(year, month, int(match["day"]))
    return None


def _full_year(text: str, reference_year: int) -> int:
    """Two-digit years: up to 20 years past the reference year are this century."""
    year = int(text)
    if len(text) > 2:
        return year
    century = reference_year // 100 * 100
    return century + year if year <= reference_year % 100 + 20 else century - 100 + year


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def day_first_evidence(texts: list[str]) -> bool | None:
    """Does the page write DD/MM? Votes from unambiguous numeric dates (13–31 first or second)."""
    votes = 0
    for text in texts:
        for match in _NUMERIC.finditer(text):
            if len(match["a"]) == 4:
                continue
            first, second = int(match["a"]), int(match["b"])
            if first > 12 >= second:
                votes += 1
            elif second > 12 >= first:
                votes -= 1
    if votes == 0:
        return None
    return votes > 0


@dataclass(frozen=True)
class Money:
    """An amount as printed, normalized: a Decimal and the currency if the text named one."""

    amount: Decimal
    currency: str | None

    @property
    def canonical(self) -> str:
        """Plain digits, a dot, two decimals ("1234.50"), as the truth files and packets use."""
        return f"{self.amount.quantize(Decimal('0.01')):.2f}"


def currency_in(text: str) -> str | None:
    """The ISO currency a text names by symbol or code, if any."""
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in text:
            return code
    for token in re.findall(r"[A-Z]{3}", text.upper()):
        if token in CURRENCY_CODES:
            return str(token)
    return None


def parse_amount(text: str) -> Money | None:
    """An amount with thousands separators, decimal comma or point, symbol or ISO code."""
    # Fax OCR reads a 5 as "§" and an O for a zero in a figure.
    text = re.sub(r"§(?=\d)", "5", text)
    searched = text.replace("O", "0") if _looks_numeric(text) else text
    match = _AMOUNT.search(searched)
    if match is None or _inside_a_code(searched, match):
        return None
    raw = match.group(0)
    negative = raw.startswith(("-", "(")) or text.strip().endswith("-")
    digits = _canonical_digits(raw.lstrip("-("))
    if digits is None:
        return None
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None
    return Money(amount=-amount if negative else amount, currency=currency_in(text))


def _inside_a_code(text: str, match: re.Match[str]) -> bool:
    """Are the figures part of a code ("NL000000000B01", a VAT number), not an amount? Letters
    touch them on one side, and not a currency code ("EUR12.50", "12.50EUR")."""
    before = re.search(r"[^\W\d_]+$", text[: match.start()])
    after = re.match(r"[^\W\d_]+", text[match.end() :])
    return any(
        letters is not None and letters.group().upper() not in CURRENCY_CODES
        for letters in (before, after)
    )


def _looks_numeric(text: str) -> bool:
    return sum(ch.isdigit() for ch in text) >= max(1, len(text.strip()) // 2)


def _canonical_digits(raw: str) -> str | None:
    """ "1.234,50" → "1234.50": the last separator is the decimal one when 1–2 digits follow it."""
    compact = re.sub(r"[ '\u00a0\u202f]", "", raw)
    separators = [(i, ch) for i, ch in enumerate(compact) if ch in ".,"]
    if not separators:
        return compact if compact.isdigit() else None
    last_index = separators[-1][0]
    tail = compact[last_index + 1 :]
    integer_part = compact[:last_index]
    kinds = {ch for _, ch in separators}
    is_decimal = len(tail) in (1, 2) or (len(kinds) == 2 and len(tail) != 3)
    if len(separators) > 1 and len(kinds) == 1 and len(tail) == 3:
        is_decimal = False  # "1,234,567": all thousands
    whole = re.sub(r"[.,]", "", integer_part if is_decimal else compact)
    if not whole.isdigit() or (is_decimal and not tail.isdigit()):
        return None
    return f"{whole}.{tail}" if is_decimal else whole


def parse_quantity(text: str) -> str | None:
    """A count as printed ("2", "1.0", "3 units") → plain digits ("2"), or None."""
    match = re.search(r"\d+(?:[.,]\d+)?", text)
    if match is None:
        return None
    value = Decimal(match.group(0).replace(",", "."))
    return str(int(value)) if value == value.to_integral() else str(value)
