"""Decision clocks: 72 hours expedited, 7 calendar days standard, or the payer's stricter clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caredesk.domain.clocks import (
    PayerClock,
    SlaRisk,
    Urgency,
    aging,
    due_at,
    read_clock,
    sla_risk,
    strictest_clock,
)
from caredesk.domain.errors import InputRejected

RECEIVED = datetime(2026, 3, 6, 16, 45, tzinfo=UTC)  # a Friday afternoon
received_times = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
payer_clocks = st.builds(
    PayerClock,
    expedited_hours=st.one_of(st.none(), st.integers(1, 200)),
    standard_days=st.one_of(st.none(), st.integers(1, 30)),
)


def test_expedited_is_due_72_hours_after_receipt() -> None:
    assert due_at(RECEIVED, Urgency.EXPEDITED) == datetime(2026, 3, 9, 16, 45, tzinfo=UTC)


def test_standard_is_due_7_calendar_days_later_weekends_included() -> None:
    assert due_at(RECEIVED, Urgency.STANDARD) == datetime(2026, 3, 13, 16, 45, tzinfo=UTC)


def test_a_stricter_payer_clock_wins() -> None:
    quicker = PayerClock(expedited_hours=48, standard_days=5, source="qf-imaging@2026.1")
    assert due_at(RECEIVED, Urgency.EXPEDITED, quicker) - RECEIVED == timedelta(hours=48)
    assert due_at(RECEIVED, Urgency.STANDARD, quicker) - RECEIVED == timedelta(days=5)


def test_a_looser_payer_clock_never_extends_the_federal_one() -> None:
    slower = PayerClock(expedited_hours=96, standard_days=14)
    assert due_at(RECEIVED, Urgency.EXPEDITED, slower) - RECEIVED == timedelta(hours=72)
    assert due_at(RECEIVED, Urgency.STANDARD, slower) - RECEIVED == timedelta(days=7)


def test_a_clock_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InputRejected, match="time zone"):
        due_at(datetime(2026, 3, 6, 9, 0), Urgency.STANDARD)


def test_due_time_is_the_same_instant_whatever_the_offset_received_in() -> None:
    eastern = RECEIVED.astimezone(timezone(timedelta(hours=-5)))
    assert due_at(eastern, Urgency.EXPEDITED) == due_at(RECEIVED, Urgency.EXPEDITED)


@given(received=received_times, urgency=st.sampled_from(Urgency), clock=payer_clocks)
def test_due_is_never_later_than_the_federal_clock_nor_earlier_than_the_payers(
    received: datetime, urgency: Urgency, clock: PayerClock
) -> None:
    federal = timedelta(hours=72) if urgency is Urgency.EXPEDITED else timedelta(days=7)
    if urgency is Urgency.EXPEDITED:
        payer = timedelta(hours=clock.expedited_hours) if clock.expedited_hours else None
    else:
        payer = timedelta(days=clock.standard_days) if clock.standard_days else None
    window = due_at(received, urgency, clock) - received
    assert window == (min(federal, payer) if payer else federal)


@given(received=received_times, urgency=st.sampled_from(Urgency), elapsed=st.floats(0, 1.5))
def test_risk_follows_the_share_of_the_window_left(
    received: datetime, urgency: Urgency, elapsed: float
) -> None:
    due = due_at(received, urgency)
    now = received + (due - received) * elapsed
    risk = sla_risk(received, due, now)
    left = (due - now) / (due - received)
    if left <= 0:
        assert risk is SlaRisk.OVERDUE
    elif left <= 0.25:
        assert risk is SlaRisk.AT_RISK
    else:
        assert risk is SlaRisk.ON_TRACK


def test_countdown_and_aging_read_against_now() -> None:
    due = due_at(RECEIVED, Urgency.EXPEDITED)
    reading = read_clock(RECEIVED, due, RECEIVED + timedelta(hours=60))
    assert (reading.remaining_s, reading.age_s, reading.risk) == (12 * 3600, 60 * 3600, "at_risk")
    late = read_clock(RECEIVED, due, due + timedelta(hours=1))
    assert late.remaining_s == -3600 and late.risk is SlaRisk.OVERDUE
    assert aging(RECEIVED, RECEIVED - timedelta(hours=1)) == timedelta(0)


def test_the_strictest_of_several_policy_clocks_applies() -> None:
    merged = strictest_clock(
        [
            PayerClock(expedited_hours=48, standard_days=None, source="a@1"),
            PayerClock(expedited_hours=72, standard_days=5, source="b@2"),
        ]
    )
    assert merged == PayerClock(expedited_hours=48, standard_days=5, source="a@1, b@2")
    assert strictest_clock([PayerClock()]) is None
