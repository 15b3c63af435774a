"""PA cases: every value with its evidence and source, corrections that keep the original."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from caredesk.domain.clocks import PayerClock, Urgency
from caredesk.domain.codes import (
    is_cpt_format,
    is_hcpcs_level2_format,
    is_icd10cm_format,
    normalize_icd10,
    npi_is_valid,
)
from caredesk.domain.documents import DocType, Evidence, ExtractionResult
from caredesk.domain.errors import InputRejected

T = TypeVar("T")


class CaseStatus(StrEnum):
    """open → assembling → needs_review | ready → submitted → closed."""

    OPEN = "open"
    ASSEMBLING = "assembling"
    NEEDS_REVIEW = "needs_review"
    READY = "ready"
    SUBMITTED = "submitted"
    CLOSED = "closed"


ACTIVE_STATUSES: frozenset[CaseStatus] = frozenset(
    {CaseStatus.OPEN, CaseStatus.ASSEMBLING, CaseStatus.NEEDS_REVIEW, CaseStatus.READY}
)
_WORKING = (CaseStatus.ASSEMBLING, CaseStatus.NEEDS_REVIEW, CaseStatus.READY)
CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({*_WORKING, CaseStatus.CLOSED}),
    CaseStatus.ASSEMBLING: frozenset({*_WORKING, CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.NEEDS_REVIEW: frozenset({*_WORKING, CaseStatus.SUBMITTED, CaseStatus.CLOSED}),
    CaseStatus.READY: frozenset({*_WORKING, CaseStatus.SUBMITTED, CaseStatus.CLOSED}),
    # A payer may pend a submitted request and ask for more: back to review.
    CaseStatus.SUBMITTED: frozenset({CaseStatus.NEEDS_REVIEW, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}


def may_move(before: CaseStatus, after: CaseStatus) -> bool:
    return after in CASE_TRANSITIONS[before]


class ValueSource(StrEnum):
    """Where a case value came from: read off a document, fixed by a person, or typed in."""

    EXTRACTED = "extracted"
    CORRECTED = "corrected"
    MANUAL = "manual"


class ServiceLine(BaseModel):
    """One requested service: a CPT or HCPCS Level II code and how many units."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    units: int = Field(1, ge=1, le=999)

    @field_validator("code")
    @classmethod
    def _code_format(cls, code: str) -> str:
        code = code.strip().upper()
        if not (is_cpt_format(code) or is_hcpcs_level2_format(code)):
            raise ValueError(f"{code!r} is not a CPT or HCPCS Level II code")
        return code


class Provider(BaseModel):
    """A provider as a PA request names one: name and NPI."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    npi: str | None = None


class OriginalValue(BaseModel, Generic[T]):
    """The value as first recorded, kept when a person corrects it."""

    model_config = ConfigDict(frozen=True)

    value: T
    evidence: Evidence | None = None
    source: ValueSource


class CaseValue(BaseModel, Generic[T]):
    """One case value, where it came from, and (after a correction) what it was before."""

    model_config = ConfigDict(frozen=True)

    value: T
    evidence: Evidence | None = None
    source: ValueSource = ValueSource.MANUAL
    confidence: float | None = Field(None, ge=0, le=1)
    original: OriginalValue[T] | None = None
    corrected_by: str | None = None
    corrected_at: datetime | None = None

    def corrected(self, value: T, *, by: str, at: datetime) -> CaseValue[T]:
        """The same value fixed by a person; the first recorded value and evidence are kept."""
        original = self.original or OriginalValue[Any](
            value=self.value, evidence=self.evidence, source=self.source
        )
        return type(self)(
            value=value,
            evidence=None,
            source=ValueSource.CORRECTED,
            confidence=1.0,
            original=original,
            corrected_by=by,
            corrected_at=at,
        )


# The correctable values of a case, named as the extraction and the knowledge base's
# checklist `evidence.fields` name them, so the agent maps one onto the other directly.
FIELD_TYPES: dict[str, Any] = {
    "patient_name": str,
    "date_of_birth": date,
    "member_id": str,
    "payer": str,
    "plan": str,
    "procedure_codes": list[ServiceLine],
    "diagnosis_codes": list[str],
    "ordering_provider_name": str,
    "ordering_provider_npi": str,
    "rendering_provider_name": str,
    "rendering_provider_npi": str,
    "urgency": Urgency,
    "date_of_service": date,
}
CASE_FIELDS: tuple[str, ...] = tuple(FIELD_TYPES)
_ADAPTERS = {name: TypeAdapter(kind) for name, kind in FIELD_TYPES.items()}


def parse_field_value(field: str, raw: object) -> Any:
    """A value for `field` in its domain type, or InputRejected naming the field and problem."""
    adapter = _ADAPTERS.get(field)
    if adapter is None:
        raise InputRejected(f"unknown case field {field!r}", fields=list(CASE_FIELDS))
    try:
        value = adapter.validate_python(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise InputRejected(f"{field}: {problem}", field=field) from None
    return _checked(field, value)


def _checked(field: str, value: Any) -> Any:
    if field.endswith("_npi") and not npi_is_valid(str(value)):
        raise InputRejected(f"{field}: not a valid NPI (ten digits, Luhn check)", field=field)
    if field == "diagnosis_codes":
        bad = [code for code in value if not is_icd10cm_format(str(code).strip())]
        if bad:
            raise InputRejected(f"{field}: not ICD-10-CM codes: {bad}", field=field)
        return [normalize_icd10(str(code).strip()) for code in value]
    if type(value) is str:  # not a StrEnum such as Urgency: stripping would unmake it
        value = value.strip()
        if not value:
            raise InputRejected(f"{field}: a value is required", field=field)
    if field == "payer":
        value = str(value).lower()
    return value


class Case(BaseModel):
    """A prior-authorization case as people and the agent see it."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: CaseStatus = CaseStatus.OPEN
    version: int = 1
    patient_name: CaseValue[str] | None = None
    date_of_birth: CaseValue[date] | None = None
    member_id: CaseValue[str] | None = None
    payer: CaseValue[str] | None = None
    plan: CaseValue[str] | None = None
    procedure_codes: CaseValue[list[ServiceLine]] | None = None
    diagnosis_codes: CaseValue[list[str]] | None = None
    ordering_provider_name: CaseValue[str] | None = None
    ordering_provider_npi: CaseValue[str] | None = None
    rendering_provider_name: CaseValue[str] | None = None
    rendering_provider_npi: CaseValue[str] | None = None
    urgency: CaseValue[Urgency] | None = None
    date_of_service: CaseValue[date] | None = None
    received_at: datetime
    due_at: datetime
    payer_clock: PayerClock | None = None
    document_ids: tuple[str, ...] = ()
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def value_of(self, field: str) -> CaseValue[Any] | None:
        if field not in FIELD_TYPES:
            raise InputRejected(f"unknown case field {field!r}", fields=list(CASE_FIELDS))
        found: CaseValue[Any] | None = getattr(self, field)
        return found

    def raw(self, field: str) -> Any:
        """The plain value of `field`, or None when the case does not know it."""
        found = self.value_of(field)
        return None if found is None else found.value

    @property
    def effective_urgency(self) -> Urgency:
        """Urgency as the clock applies it: a request not marked expedited is standard."""
        found = self.raw("urgency")
        return Urgency(found) if found else Urgency.STANDARD

    @property
    def ordering_provider(self) -> Provider:
        return Provider(
            name=self.raw("ordering_provider_name"), npi=self.raw("ordering_provider_npi")
        )

    @property
    def rendering_provider(self) -> Provider:
        return Provider(
            name=self.raw("rendering_provider_name"), npi=self.raw("rendering_provider_npi")
        )

    @property
    def service_lines(self) -> list[ServiceLine]:
        return list(self.raw("procedure_codes") or [])

    @property
    def diagnoses(self) -> list[str]:
        return list(self.raw("diagnosis_codes") or [])

    def gaps(self) -> list[str]:
        """Fields a PA request needs that the case does not know yet."""
        return [name for name in REQUIRED_FOR_REQUEST if self.raw(name) in (None, [], "")]


REQUIRED_FOR_REQUEST: tuple[str, ...] = (
    "patient_name",
    "date_of_birth",
    "member_id",
    "payer",
    "procedure_codes",
    "diagnosis_codes",
    "ordering_provider_name",
    "ordering_provider_npi",
)
# Document types a case may be opened from.
CASE_SOURCE_TYPES: frozenset[DocType] = frozenset({DocType.REFERRAL, DocType.PA_REQUEST})


class ExtractedValues(BaseModel):
    """Case values read off one document, and the fields that could not be used (and why)."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, CaseValue[Any]]
    problems: dict[str, str] = Field(default_factory=dict)


def values_from_extraction(extraction: ExtractionResult) -> ExtractedValues:
    """Every case field the extraction found, each carrying its evidence and confidence.

    A value that fails a format check (an NPI whose check digit OCR garbled) is kept as read
    when its type still fits: the coordinator sees it and its evidence, and corrects it.
    """
    if extraction.doc_type not in CASE_SOURCE_TYPES:
        raise InputRejected(
            f"a case is opened from a referral or PA request, not a {extraction.doc_type.value}",
            doc_type=extraction.doc_type.value,
        )
    values: dict[str, CaseValue[Any]] = {}
    problems: dict[str, str] = {}
    for name, found in extraction.fields.items():
        if name not in FIELD_TYPES:
            continue
        raw = found.normalized if found.normalized not in (None, "", []) else found.value
        try:
            value = _lenient(name, raw)
        except InputRejected as exc:
            problems[name] = exc.reason
            continue
        values[name] = CaseValue[Any](
            value=value,
            evidence=found.evidence,
            source=ValueSource.EXTRACTED,
            confidence=found.confidence,
        )
    return ExtractedValues(values=values, problems=problems)


def _lenient(field: str, raw: object) -> Any:
    try:
        return parse_field_value(field, raw)
    except InputRejected:
        try:
            value = _ADAPTERS[field].validate_python(raw)
        except ValidationError:
            raise InputRejected(f"{field}: unreadable value", field=field) from None
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise


__all__ = [
    "ACTIVE_STATUSES",
    "CASE_FIELDS",
    "CASE_SOURCE_TYPES",
    "CASE_TRANSITIONS",
    "FIELD_TYPES",
    "REQUIRED_FOR_REQUEST",
    "Case",
    "CaseStatus",
    "CaseValue",
    "ExtractedValues",
    "OriginalValue",
    "Provider",
    "ServiceLine",
    "ValueSource",
    "may_move",
    "parse_field_value",
    "values_from_extraction",
]
