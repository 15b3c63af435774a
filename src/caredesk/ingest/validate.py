"""Validators that doubt extracted values: NPI, ICD-10-CM table, code formats, dates, sums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from caredesk.domain.codes import (
    is_cpt_format,
    is_hcpcs_level2_format,
    is_icd10cm_format,
    npi_is_valid,
)
from caredesk.domain.documents import ExtractedField, LineItem, ValidationIssue
from caredesk.ingest.icd10 import icd10cm_code_exists

# A failed check halves confidence: the value drops under any sensible auto-accept threshold
# but stays visible, with the reason, for the person who now has to look.
FAILED_CHECK_FACTOR = 0.5
SUM_TOLERANCE = Decimal("0.01")

Fields = dict[str, ExtractedField]


@dataclass(frozen=True)
class ValidationReport:
    """Fields with issues attached and confidence lowered, plus document-level warnings."""

    fields: Fields
    warnings: tuple[str, ...]


def validate(fields: Fields, line_items: Sequence[LineItem], *, today: date) -> ValidationReport:
    """Run every check that applies to the fields present; absent fields are not errors here."""
    issues: dict[str, list[ValidationIssue]] = {}
    for name, found in _field_issues(fields, today):
        issues.setdefault(name, []).append(found)
    for name, found in _sum_issues(fields, line_items):
        issues.setdefault(name, []).append(found)
    checked = {name: _with_issues(f, issues.get(name, [])) for name, f in fields.items()}
    warnings = tuple(
        f"{name}: {issue.reason}" for name, found in sorted(issues.items()) for issue in found
    )
    return ValidationReport(fields=checked, warnings=warnings)


def _with_issues(field: ExtractedField, issues: list[ValidationIssue]) -> ExtractedField:
    if not issues:
        return field
    confidence = field.confidence * FAILED_CHECK_FACTOR ** len(issues)
    return field.model_copy(
        update={"validation": field.validation + tuple(issues), "confidence": confidence}
    )


def _field_issues(fields: Fields, today: date) -> list[tuple[str, ValidationIssue]]:
    found: list[tuple[str, ValidationIssue]] = []
    for name, extracted in fields.items():
        if name.endswith("_npi") and not npi_is_valid(str(extracted.normalized or "")):
            found.append((name, _issue("npi_check_digit", "the NPI's check digit is wrong")))
        elif name == "diagnosis_codes":
            found += [(name, issue) for issue in diagnosis_issues(extracted.normalized)]
        elif name == "procedure_codes":
            found += [(name, issue) for issue in procedure_issues(extracted.normalized)]
    found += date_issues(fields, today)
    return found


def _issue(check: str, reason: str) -> ValidationIssue:
    return ValidationIssue(check=check, reason=reason)


def icd10cm_exists(code: str) -> bool:
    """The code is a category or (sub)category in the shipped CMS ICD-10-CM table."""
    if not is_icd10cm_format(code):
        return False
    return icd10cm_code_exists(code)


def diagnosis_issues(normalized: object) -> list[ValidationIssue]:
    codes = normalized if isinstance(normalized, list) else []
    return [
        _issue("icd10cm_exists", f"{code} is not an ICD-10-CM code")
        for code in codes
        if not icd10cm_exists(str(code))
    ]


def procedure_issues(normalized: object) -> list[ValidationIssue]:
    rows = normalized if isinstance(normalized, list) else []
    issues = []
    for row in rows:
        code = str(row.get("code", "")) if isinstance(row, dict) else str(row)
        if not (is_cpt_format(code) or is_hcpcs_level2_format(code)):
            issues.append(_issue("procedure_code_format", f"{code} is not a CPT or HCPCS code"))
    return issues


def _date_of(fields: Fields, name: str) -> date | None:
    extracted = fields.get(name)
    if extracted is None or not isinstance(extracted.normalized, str):
        return None
    try:
        return date.fromisoformat(extracted.normalized)
    except ValueError:
        return None


# (later field, earlier field, reason) pairs: the later one must not come before the earlier.
_DATE_ORDER = (
    ("date_of_service", "date_of_birth", "the date of service is before the date of birth"),
    ("note_date", "date_of_birth", "the note is dated before the patient's birth"),
    ("due_date", "invoice_date", "the due date is before the invoice date"),
    ("valid_through", "valid_from", "the authorization ends before it starts"),
)


def date_issues(fields: Fields, today: date) -> list[tuple[str, ValidationIssue]]:
    found = []
    birth = _date_of(fields, "date_of_birth")
    if birth is not None and birth > today:
        found.append(
            ("date_of_birth", _issue("plausible_date", "the date of birth is in the future"))
        )
    if birth is not None and today.year - birth.year > 120:
        found.append(("date_of_birth", _issue("plausible_date", "the patient would be over 120")))
    for later, earlier, reason in _DATE_ORDER:
        late, early = _date_of(fields, later), _date_of(fields, earlier)
        if late is not None and early is not None and late < early:
            found.append((later, _issue("plausible_date", reason)))
    return found


def _money(fields: Fields, name: str) -> Decimal | None:
    extracted = fields.get(name)
    return _decimal(extracted.normalized) if extracted is not None else None


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _sum_issues(
    fields: Fields, line_items: Sequence[LineItem]
) -> list[tuple[str, ValidationIssue]]:
    found = []
    subtotal, tax, total = (_money(fields, n) for n in ("subtotal", "tax", "total_amount"))
    amounts = [_decimal(item.amount) for item in line_items]
    if subtotal is not None and amounts and all(a is not None for a in amounts):
        items_sum = sum((a for a in amounts if a is not None), Decimal(0))
        if abs(items_sum - subtotal) > SUM_TOLERANCE:
            reason = f"line items add up to {items_sum}, not the subtotal {subtotal}"
            found.append(("subtotal", _issue("line_items_sum", reason)))
    if subtotal is not None and total is not None:
        expected = subtotal + (tax or Decimal(0))
        if abs(expected - total) > SUM_TOLERANCE:
            reason = f"subtotal plus tax is {expected}, not the total {total}"
            found.append(("total_amount", _issue("total_sum", reason)))
    return found
