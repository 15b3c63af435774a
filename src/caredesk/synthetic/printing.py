"""How values are printed on paper: date styles, money styles per country, name orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Date styles by name; the examples are how 2026-03-04 prints.
DATE_EXAMPLES = {
    "mdy": "03/04/2026",
    "mdy_nopad": "3/4/2026",
    "mdy_short": "03/04/26",
    "iso": "2026-03-04",
    "long_us": "March 4, 2026",
    "mon_d_y": "Mar 4, 2026",
    "d_mon_yy": "04-Mar-26",
    "dmy_slash": "04/03/2026",
    "dmy_dot": "04.03.2026",
    "dmy_dash": "04-03-2026",
    "dmy_long": "4 March 2026",
}
# Styles a US reader parses without knowing where the paper came from.
US_DATE_STYLES = ("mdy", "mdy_nopad", "mdy_short", "iso", "long_us", "mon_d_y", "d_mon_yy")
# Two-digit years are ambiguous for a birth date, so birth dates never use them.
US_BIRTH_DATE_STYLES = ("mdy", "mdy_nopad", "iso", "long_us", "mon_d_y")


def format_date(value: date, style: str) -> str:
    """`value` printed in one of the DATE_EXAMPLES styles."""
    day, month, year = value.day, value.month, value.year
    name = MONTHS[month - 1]
    printed = {
        "mdy": f"{month:02d}/{day:02d}/{year}",
        "mdy_nopad": f"{month}/{day}/{year}",
        "mdy_short": f"{month:02d}/{day:02d}/{year % 100:02d}",
        "iso": value.isoformat(),
        "long_us": f"{name} {day}, {year}",
        "mon_d_y": f"{name[:3]} {day}, {year}",
        "d_mon_yy": f"{day:02d}-{name[:3]}-{year % 100:02d}",
        "dmy_slash": f"{day:02d}/{month:02d}/{year}",
        "dmy_dot": f"{day:02d}.{month:02d}.{year}",
        "dmy_dash": f"{day:02d}-{month:02d}-{year}",
        "dmy_long": f"{day} {name} {year}",
    }
    return printed[style]


@dataclass(frozen=True)
class MoneyStyle:
    """How one country prints amounts, and what its invoices call the tax."""

    country: str
    currency: str
    symbol: str
    symbol_first: bool
    thousands: str
    decimal: str
    date_styles: tuple[str, ...]
    tax_label: str
    tax_rates: tuple[Decimal, ...]
    page: str


MONEY_STYLES: dict[str, MoneyStyle] = {
    "us": MoneyStyle(
        "us",
        "USD",
        "$",
        True,
        ",",
        ".",
        ("mdy", "long_us", "iso"),
        "Sales tax",
        (Decimal(0), Decimal("0.0625")),
        "letter",
    ),
    "uk": MoneyStyle(
        "uk",
        "GBP",
        "£",
        True,
        ",",
        ".",
        ("dmy_slash", "dmy_long"),
        "VAT",
        (Decimal("0.20"), Decimal(0)),
        "a4",
    ),
    "de": MoneyStyle(
        "de",
        "EUR",
        "€",
        False,
        ".",
        ",",
        ("dmy_dot",),
        "MwSt.",
        (Decimal("0.19"), Decimal("0.07")),
        "a4",
    ),
    "fr": MoneyStyle(
        "fr",
        "EUR",
        "€",
        False,
        " ",
        ",",
        ("dmy_slash",),
        "TVA",
        (Decimal("0.20"), Decimal("0.055")),
        "a4",
    ),
    "ie": MoneyStyle(
        "ie", "EUR", "€", True, ",", ".", ("dmy_slash", "dmy_long"), "VAT", (Decimal("0.23"),), "a4"
    ),
    "nl": MoneyStyle(
        "nl",
        "EUR",
        "€",
        True,
        ".",
        ",",
        ("dmy_dash",),
        "BTW",
        (Decimal("0.21"), Decimal("0.09")),
        "a4",
    ),
}

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to cents, as invoices do."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def canonical_amount(amount: Decimal) -> str:
    """The ground-truth form of an amount: plain digits, a dot, two decimals ("1234.50")."""
    return f"{to_cents(amount):.2f}"


def format_amount(amount: Decimal, style: MoneyStyle) -> str:
    """Digits with the country's thousands and decimal separators, no currency ("1.234,50")."""
    whole, cents = canonical_amount(amount).split(".")
    negative = whole.startswith("-")
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ("-" if negative else "") + style.thousands.join(groups) + style.decimal + cents


def format_money(amount: Decimal, style: MoneyStyle, *, use_code: bool = False) -> str:
    """Amount with symbol or ISO code where that country puts it ("$1,234.50", "1.234,50 €")."""
    number = format_amount(amount, style)
    if use_code:
        return f"{style.currency} {number}"
    if style.symbol_first:
        # The Dutch write "€ 1.234,50"; the others put the symbol against the digits.
        gap = " " if style.country == "nl" else ""
        return f"{style.symbol}{gap}{number}"
    return f"{number} {style.symbol}"


def name_first_last(first: str, last: str) -> str:
    return f"{first} {last}"


def name_last_first(first: str, last: str) -> str:
    return f"{last}, {first}"


def name_upper_last_first(first: str, last: str) -> str:
    return f"{last.upper()}, {first.upper()}"


NAME_STYLES = (name_first_last, name_last_first, name_upper_last_first)
