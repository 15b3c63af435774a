"""What a document says, before any layout prints it: episodes of care, letters, cover sheets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from caredesk.synthetic import world
from caredesk.synthetic.people import (
    Clinician,
    Facility,
    Patient,
    make_clinician,
    make_facility,
    make_patient,
    phone_number,
)

# Documents are dated in the first half of 2026, the shared world's present.
ANCHOR = date(2026, 1, 5)

# The order fields appear in a truth file.
FIELD_ORDER = (
    "patient_name",
    "date_of_birth",
    "member_id",
    "payer",
    "plan",
    "ordering_provider_name",
    "ordering_provider_npi",
    "rendering_provider_name",
    "rendering_provider_npi",
    "diagnosis_codes",
    "procedure_codes",
    "urgency",
    "date_of_service",
    "clinical_reason",
    "note_date",
    "decision",
    "reference_number",
    "letter_date",
    "decision_date",
    "valid_from",
    "valid_through",
    "denial_reason",
    "requested_items",
    "vendor_name",
    "invoice_number",
    "invoice_date",
    "due_date",
    "subtotal",
    "tax",
    "total_amount",
    "currency",
    "account_reference",
)
PA_SERVICES = tuple(service for service in world.SERVICES if service.needs_pa)
REFERRAL_FIELDS = frozenset(
    {
        "patient_name",
        "date_of_birth",
        "member_id",
        "payer",
        "plan",
        "ordering_provider_name",
        "ordering_provider_npi",
        "rendering_provider_name",
        "rendering_provider_npi",
        "diagnosis_codes",
        "procedure_codes",
        "urgency",
        "date_of_service",
        "clinical_reason",
    }
)
NOTE_FIELDS = frozenset(
    {
        "patient_name",
        "date_of_birth",
        "note_date",
        "diagnosis_codes",
        "clinical_reason",
    }
)
LETTER_FIELDS = frozenset(
    {
        "payer",
        "decision",
        "reference_number",
        "letter_date",
        "decision_date",
        "valid_from",
        "valid_through",
        "denial_reason",
        "requested_items",
        "patient_name",
        "member_id",
    }
)
INVOICE_FIELDS = frozenset(
    {
        "vendor_name",
        "invoice_number",
        "invoice_date",
        "due_date",
        "subtotal",
        "tax",
        "total_amount",
        "currency",
        "account_reference",
    }
)
FIELDS_BY_TYPE = {
    "referral": REFERRAL_FIELDS,
    "pa_request": REFERRAL_FIELDS,
    "clinical_note": NOTE_FIELDS,
    "payer_letter": LETTER_FIELDS,
    "invoice": INVOICE_FIELDS,
    "other": frozenset(),
}


def evidence_values(rng: Random, order_date: date) -> dict[str, Any]:
    """The numbers evidence sentences quote, drawn once per episode so documents agree."""
    prior = order_date - timedelta(days=rng.randint(14, 80))
    return {
        "weeks": rng.choice((6, 8, 10, 12)),
        "months": rng.choice((3, 4, 6)),
        "side": rng.choice(("left", "right")),
        "strength": rng.choice((3, 4)),
        "prior_date": prior.strftime("%m/%d/%Y"),
        "ahi": rng.randint(16, 48),
        "ess": rng.randint(11, 19),
        "bmi": f"{rng.uniform(30.5, 41.5):.1f}",
        "alt": rng.randint(62, 140),
        "neck": rng.choice((16, 17, 18, 19)),
        "das": f"{rng.uniform(4.2, 6.4):.1f}",
        "exacerbations": rng.randint(2, 5),
        "ige": rng.randint(150, 700),
        "visits": rng.randint(12, 20),
        "odi": rng.randint(18, 34),
        "episodes": rng.randint(2, 5),
        "age": rng.randint(38, 55),
    }


@dataclass(frozen=True)
class Episode:
    """One patient's request for one service: everything referrals, PA forms and notes print."""

    patient: Patient
    ordering: Clinician
    rendering: Facility
    service: world.ServiceLine
    procedures: tuple[tuple[str, int], ...]
    diagnoses: tuple[str, ...]
    urgency: str
    order_date: date
    date_of_service: date
    note_date: date
    values: dict[str, Any]
    evidence: tuple[world.EvidenceItem, ...]
    injection: str = ""
    hidden_injection: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def evidence_sentences(self) -> tuple[str, ...]:
        return tuple(item.sentence.format(**self.values) for item in self.evidence)

    @property
    def clinical_reason(self) -> str:
        """The reason for the request as printed: the complaint, the evidence, any injection."""
        parts = [self.service.reason.format(**self.values), *self.evidence_sentences]
        if self.injection:
            parts.append(self.injection)
        return " ".join(parts)

    def truth_fields(self) -> dict[str, Any]:
        patient = self.patient
        return {
            "patient_name": patient.name,
            "date_of_birth": patient.birth_date.isoformat(),
            "member_id": patient.member_id,
            "payer": patient.payer.id,
            "plan": patient.plan,
            "ordering_provider_name": self.ordering.name,
            "ordering_provider_npi": self.ordering.npi,
            "rendering_provider_name": self.rendering.name,
            "rendering_provider_npi": self.rendering.npi,
            "diagnosis_codes": list(self.diagnoses),
            "procedure_codes": [{"code": code, "units": units} for code, units in self.procedures],
            "urgency": self.urgency,
            "date_of_service": self.date_of_service.isoformat(),
            "clinical_reason": self.clinical_reason,
            "note_date": self.note_date.isoformat(),
        }


def _procedures(rng: Random, service: world.ServiceLine) -> tuple[tuple[str, int], ...]:
    count = 2 if service.category == "physical therapy" and service.needs_pa else 1
    codes = rng.sample(service.codes, count)
    return tuple((code, rng.randint(*service.units)) for code in codes)


def make_episode(
    rng: Random,
    *,
    service: world.ServiceLine | None = None,
    payer: world.Payer | None = None,
    evidence: tuple[world.EvidenceItem, ...] | None = None,
) -> Episode:
    """A coherent episode: codes match diagnoses, the facility matches the service."""
    service = service or rng.choice(world.SERVICES)
    order_date = ANCHOR + timedelta(days=rng.randint(0, 150))
    diagnoses = rng.sample(service.diagnoses, rng.randint(1, len(service.diagnoses)))
    if evidence is None:
        # Most paper in the corpus is complete; some of it lacks one piece of evidence.
        keep = len(service.evidence) - (1 if rng.random() < 0.25 else 0)
        evidence = tuple(item for item in service.evidence[:keep])
    return Episode(
        patient=make_patient(rng, order_date, payer),
        ordering=make_clinician(rng, service.facility),
        rendering=make_facility(rng, service.facility),
        service=service,
        procedures=_procedures(rng, service),
        diagnoses=tuple(diagnoses),
        urgency="expedited" if rng.random() < 0.3 else "standard",
        order_date=order_date,
        date_of_service=order_date + timedelta(days=rng.randint(5, 40)),
        note_date=order_date - timedelta(days=rng.randint(0, 10)),
        values=evidence_values(rng, order_date),
        evidence=evidence,
    )


def with_patient_change(episode: Episode, **changes: Any) -> Episode:
    """The same episode as another document misprints it (a different DOB or member id)."""
    return replace(episode, patient=replace(episode.patient, **changes))


DENIAL_REASONS = (
    "The records do not document {weeks} weeks of conservative therapy as the policy requires.",
    "The submitted notes do not show a neurological deficit or other red-flag findings.",
    "The requested service is not medically necessary under the applicable clinical policy.",
    "The servicing provider is not in the member's network for this plan.",
    "Documentation of prior treatment failure was not provided.",
)
REQUESTED_ITEMS = (
    "Office notes from the last 6 months",
    "Physical therapy records with dates of service",
    "Sleep study report including AHI",
    "Documentation of failed DMARD therapy",
    "Signed and dated physician order",
    "Prior imaging reports",
    "Medication history for the past 12 months",
)
DECISIONS = ("approved", "denied", "pended", "request_for_information")


@dataclass(frozen=True)
class LetterFacts:
    """A payer's determination letter about one episode."""

    episode: Episode
    decision: str
    reference_number: str
    letter_date: date
    decision_date: date
    valid_from: date | None
    valid_through: date | None
    denial_reason: str
    requested_items: tuple[str, ...]

    def truth_fields(self) -> dict[str, Any]:
        truth: dict[str, Any] = {
            "payer": self.episode.patient.payer.id,
            "decision": self.decision,
            "reference_number": self.reference_number,
            "letter_date": self.letter_date.isoformat(),
            "decision_date": self.decision_date.isoformat(),
            "patient_name": self.episode.patient.name,
            "member_id": self.episode.patient.member_id,
            "denial_reason": self.denial_reason,
            "requested_items": list(self.requested_items),
        }
        if self.valid_from and self.valid_through:
            truth["valid_from"] = self.valid_from.isoformat()
            truth["valid_through"] = self.valid_through.isoformat()
        return truth


def reference_number(rng: Random, payer: world.Payer, when: date) -> str:
    serial = rng.randint(1, 9_999_999)
    if payer.id == "quillfeather":
        return f"QF-PA-{when.year}-{serial:07d}"
    if payer.id == "tumbleweed":
        return f"TWM{when:%Y%m%d}{serial % 100000:05d}"
    return f"LCC-{when:%y}-{serial:08d}"


def make_letter(rng: Random, episode: Episode, decision: str | None = None) -> LetterFacts:
    decision = decision or rng.choice(DECISIONS)
    decision_date = episode.order_date + timedelta(days=rng.randint(1, 12))
    approved = decision == "approved"
    valid_from = episode.date_of_service - timedelta(days=rng.randint(0, 5)) if approved else None
    return LetterFacts(
        episode=episode,
        decision=decision,
        reference_number=reference_number(rng, episode.patient.payer, decision_date),
        letter_date=decision_date + timedelta(days=rng.randint(0, 2)),
        decision_date=decision_date,
        valid_from=valid_from,
        valid_through=valid_from + timedelta(days=rng.choice((59, 89, 179)))
        if valid_from
        else None,
        denial_reason=rng.choice(DENIAL_REASONS).format(**episode.values)
        if decision == "denied"
        else "",
        requested_items=tuple(rng.sample(REQUESTED_ITEMS, rng.randint(2, 4)))
        if decision == "request_for_information"
        else (),
    )


@dataclass(frozen=True)
class CoverFacts:
    """A fax cover sheet: who sends how many pages to whom, and nothing about the patient."""

    sender: str
    sender_phone: str
    sender_fax: str
    recipient: str
    recipient_fax: str
    sent_at: datetime
    pages: int
    subject: str
    contact: str


def make_cover(rng: Random) -> CoverFacts:
    sent = ANCHOR + timedelta(days=rng.randint(0, 150))
    payer = rng.choice(world.PAYERS)
    return CoverFacts(
        sender=rng.choice(world.CLINIC_NAMES),
        sender_phone=phone_number(rng),
        sender_fax=phone_number(rng),
        recipient=f"{payer.name} Utilization Management",
        recipient_fax=payer.fax,
        sent_at=datetime(sent.year, sent.month, sent.day, rng.randint(7, 18), rng.randint(0, 59)),
        pages=rng.randint(2, 14),
        subject=rng.choice(
            (
                "Prior authorization request",
                "Additional clinical information",
                "Referral and records",
                "Appeal documentation",
            )
        ),
        contact=rng.choice(("Intake desk", "PA coordinator", "Referral office")),
    )
