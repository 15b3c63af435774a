"""Date and amount parsing in the formats people print, checked against generated values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.ingest.placed import words

from caredesk.ingest.extract.parsers import parse_birth_date
from caredesk.ingest.extract.values import (
    DateContext,
    day_first_evidence,
    parse_amount,
    parse_date,
    parse_quantity,
)

MONTHS = [
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
]
dates = st.dates(min_value=date(1930, 1, 1), max_value=date(2040, 12, 31))


@given(dates)
def test_unambiguous_styles_round_trip(value: date) -> None:
    name = MONTHS[value.month - 1]
    for printed in (
        value.isoformat(),
        f"{name} {value.day}, {value.year}",
        f"{name[:3]} {value.day}, {value.year}",
        f"{value.day} {name} {value.year}",
        f"{value.day:02d}.{value.month:02d}.{value.year}",
        f"{value.day:02d}-{name[:3]}-{value.year}",
    ):
        assert parse_date(printed) == value, printed


@given(dates)
def test_numeric_dates_follow_the_page_context(value: date) -> None:
    us = f"{value.month:02d}/{value.day:02d}/{value.year}"
    eu = f"{value.day:02d}/{value.month:02d}/{value.year}"
    assert parse_date(us, DateContext(day_first=False)) == value
    assert parse_date(eu, DateContext(day_first=True)) == value


@given(st.dates(min_value=date(2007, 1, 1), max_value=date(2046, 12, 31)))
def test_two_digit_years_are_anchored_to_the_reference_year(value: date) -> None:
    printed = f"{value.month}/{value.day}/{value.year % 100:02d}"
    assert parse_date(printed, DateContext(reference_year=2026)) == value


@given(st.dates(min_value=date(1927, 1, 1), max_value=date(2026, 12, 31)))
def test_a_birth_date_with_a_two_digit_year_is_in_the_past(value: date) -> None:
    printed = words(f"{value.month}/{value.day}/{value.year % 100:02d}")
    parsed = parse_birth_date(printed, DateContext(reference_year=2026))
    assert parsed is not None and parsed.normalized == value.isoformat()


def test_two_digit_years_are_anchored_to_this_year_unless_told() -> None:
    this_year = date.today().year
    assert DateContext().reference_year == this_year
    ahead = (this_year + 20) % 100  # up to 20 years ahead: this century; beyond: the last
    assert parse_date(f"1/5/{ahead:02d}", DateContext()) == date(this_year + 20, 1, 5)
    assert parse_date(f"1/5/{(ahead + 1) % 100:02d}", DateContext()).year == this_year - 79


def test_a_day_over_twelve_settles_the_order_whatever_the_context() -> None:
    assert parse_date("25/03/2026") == date(2026, 3, 25)
    assert parse_date("03/25/2026", DateContext(day_first=True)) == date(2026, 3, 25)
    assert day_first_evidence(["Invoice 25/03/2026", "Due 04/05/2026"]) is True
    assert day_first_evidence(["Visit 03/25/2026"]) is False
    assert parse_date("March 2026") is None
    assert parse_date("31/02/2026") is None


cents = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999.99"), places=2)


def styled(amount: Decimal, thousands: str, decimal: str) -> str:
    whole, fraction = f"{amount:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return thousands.join([whole, *groups]) + decimal + fraction


@given(
    cents,
    st.sampled_from([(",", "."), (".", ","), (" ", ","), ("'", "."), ("", ".")]),
    st.sampled_from(["$", "€ ", "EUR ", "", "£"]),
)
def test_amounts_round_trip_in_every_style(
    amount: Decimal, separators: tuple[str, str], prefix: str
) -> None:
    printed = prefix + styled(amount, *separators)
    money = parse_amount(printed)
    assert money is not None
    assert money.amount == amount, printed
    assert money.canonical == f"{amount:.2f}"


@pytest.mark.parametrize(
    ("printed", "canonical", "currency"),
    [
        ("1.234,50 €", "1234.50", "EUR"),
        ("(45.00)", "-45.00", None),
        ("GBP £402.23", "402.23", "GBP"),
        ("CHF 1'234.50", "1234.50", "CHF"),
        ("1,234", "1234.00", None),
    ],
)
def test_amount_examples(printed: str, canonical: str, currency: str | None) -> None:
    money = parse_amount(printed)
    assert money is not None and money.canonical == canonical and money.currency == currency


def test_quantities() -> None:
    assert parse_quantity("10") == "10"
    assert parse_quantity("2.50 units") == "2.50"
    assert parse_quantity("none") is None
