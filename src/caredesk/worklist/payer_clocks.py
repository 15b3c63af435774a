"""The payer's own decision clock for a case, read from the knowledge base's policies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from caredesk.domain.cases import Case
from caredesk.domain.clocks import PayerClock, strictest_clock
from caredesk.domain.knowledge import KbDocument

# Given a case, the stricter payer clock that applies to it, or None for the federal clock.
ClockLookup = Callable[[Case], PayerClock | None]


class PolicyLookup(Protocol):
    """What the clock needs of the knowledge base (`KnowledgeBase.policies_for`)."""

    def policies_for(
        self, payer: str, service_code: str, as_of: date | None = None, plan: str | None = None
    ) -> list[KbDocument]: ...


def policy_clock_lookup(policies: PolicyLookup) -> ClockLookup:
    """A ClockLookup over the in-force policies governing the case's service codes.

    The policy in force on the day the request was received decides, and with several
    services the strictest clock wins: the whole request is due when its first part is.
    """

    def lookup(case: Case) -> PayerClock | None:
        payer = case.raw("payer")
        if not payer or not case.service_lines:
            return None
        as_of = case.received_at.date()
        clocks = [
            PayerClock(
                expedited_hours=turnaround.expedited_hours,
                standard_days=turnaround.standard_days,
                source=f"{doc.doc_id}@{doc.version}",
            )
            for line in case.service_lines
            for doc in policies.policies_for(payer, line.code, as_of, case.raw("plan"))
            if (turnaround := doc.front_matter.turnaround) is not None
        ]
        return strictest_clock(clocks)

    return lookup
