"""Decision clocks for PA requests: due dates, time left, SLA risk and aging."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from caredesk.domain.errors import InputRejected

# CMS-0057-F (from 1 January 2026): 72 hours for expedited requests, 7 calendar days for
# standard ones. A payer may promise faster; it may never take longer.
FEDERAL_EXPEDITED = timedelta(hours=72)
FEDERAL_STANDARD = timedelta(days=7)
# Less than this share of the window left puts a case at risk.
AT_RISK_SHARE = 0.25


class Urgency(StrEnum):
    """How fast the payer must decide: expedited (life, health or function at risk) or not."""

    EXPEDITED = "expedited"
    STANDARD = "standard"


class SlaRisk(StrEnum):
    """Where a case stands against its clock."""

    OVERDUE = "overdue"
    AT_RISK = "at_risk"
    ON_TRACK = "on_track"


class PayerTurnaround(Protocol):
    """A payer's own decision clock (the knowledge base's `turnaround` front matter)."""

    @property
    def expedited_hours(self) -> int | None: ...

    @property
    def standard_days(self) -> int | None: ...


class PayerClock(BaseModel):
    """The payer clock a case's due date was computed with, and the policy that set it."""

    model_config = ConfigDict(frozen=True)

    expedited_hours: int | None = Field(None, gt=0)
    standard_days: int | None = Field(None, gt=0)
    source: str = ""  # policy `doc@version` the clock comes from


def strictest_clock(clocks: Iterable[PayerClock]) -> PayerClock | None:
    """One clock holding the shortest expedited and standard windows among `clocks`."""
    found = list(clocks)
    hours = [c.expedited_hours for c in found if c.expedited_hours]
    days = [c.standard_days for c in found if c.standard_days]
    if not hours and not days:
        return None
    sources = sorted({c.source for c in found if c.source})
    return PayerClock(
        expedited_hours=min(hours) if hours else None,
        standard_days=min(days) if days else None,
        source=", ".join(sources),
    )


class ClockReading(BaseModel):
    """A case's clock read at one moment: what the worklist shows as a countdown."""

    model_config = ConfigDict(frozen=True)

    due_at: datetime
    window_s: float
    remaining_s: float
    age_s: float
    risk: SlaRisk


def federal_window(urgency: Urgency) -> timedelta:
    return FEDERAL_EXPEDITED if urgency is Urgency.EXPEDITED else FEDERAL_STANDARD


def decision_window(urgency: Urgency, payer_turnaround: PayerTurnaround | None = None) -> timedelta:
    """The federal window, or the payer's when it is stricter (shorter)."""
    window = federal_window(urgency)
    if payer_turnaround is None:
        return window
    if urgency is Urgency.EXPEDITED and payer_turnaround.expedited_hours:
        return min(window, timedelta(hours=payer_turnaround.expedited_hours))
    if urgency is Urgency.STANDARD and payer_turnaround.standard_days:
        return min(window, timedelta(days=payer_turnaround.standard_days))
    return window


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputRejected(f"{name} must carry a time zone")
    return moment


def due_at(
    received_at: datetime, urgency: Urgency, payer_turnaround: PayerTurnaround | None = None
) -> datetime:
    """When the payer's decision is due: receipt plus the applicable window.

    Calendar time, not business days: CMS-0057-F counts weekends and holidays.
    """
    return _aware(received_at, "received_at") + decision_window(urgency, payer_turnaround)


def at_risk_from(received_at: datetime, due: datetime) -> datetime:
    """The moment from which less than a quarter of the window is left."""
    return due - (due - received_at) * AT_RISK_SHARE


def sla_risk(received_at: datetime, due: datetime, now: datetime) -> SlaRisk:
    """Overdue once the due time has come; at risk when < 25% of the window is left."""
    _aware(now, "now")
    if now >= due:
        return SlaRisk.OVERDUE
    if now >= at_risk_from(received_at, due):
        return SlaRisk.AT_RISK
    return SlaRisk.ON_TRACK


def aging(received_at: datetime, now: datetime) -> timedelta:
    """How long the request has waited since receipt (never negative)."""
    return max(now - received_at, timedelta(0))


def read_clock(received_at: datetime, due: datetime, now: datetime) -> ClockReading:
    return ClockReading(
        due_at=due,
        window_s=(due - received_at).total_seconds(),
        remaining_s=(due - now).total_seconds(),
        age_s=aging(received_at, now).total_seconds(),
        risk=sla_risk(received_at, due, now),
    )


__all__ = [
    "AT_RISK_SHARE",
    "FEDERAL_EXPEDITED",
    "FEDERAL_STANDARD",
    "ClockReading",
    "PayerClock",
    "PayerTurnaround",
    "SlaRisk",
    "Urgency",
    "aging",
    "at_risk_from",
    "decision_window",
    "due_at",
    "federal_window",
    "read_clock",
    "sla_risk",
    "strictest_clock",
]
