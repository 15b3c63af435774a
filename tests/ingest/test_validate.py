"""Validators lower confidence and say why: NPI, ICD-10-CM, CPT/HCPCS, dates, sums."""

from __future__ import annotations

from datetime import date

from caredesk.domain.documents import ExtractedField, LineItem
from caredesk.ingest.validate import icd10cm_exists, validate

TODAY = date(2026, 6, 1)


def field(name: str, normalized: object, confidence: float = 0.95) -> ExtractedField:
    return ExtractedField(
        name=name, value=str(normalized), normalized=normalized, confidence=confidence
    )  # type: ignore[arg-type]


def test_a_bad_npi_check_digit_is_flagged_and_doubted() -> None:
    report = validate(
        {"ordering_provider_npi": field("ordering_provider_npi", "1234567890")}, [], today=TODAY
    )
    checked = report.fields["ordering_provider_npi"]
    assert checked.confidence < 0.9
    assert checked.validation[0].check == "npi_check_digit"
    good = validate(
        {"ordering_provider_npi": field("ordering_provider_npi", "1234567893")}, [], today=TODAY
    )
    assert good.fields["ordering_provider_npi"].validation == ()


def test_unknown_icd10_codes_and_malformed_procedures_are_named() -> None:
    report = validate(
        {
            "diagnosis_codes": field("diagnosis_codes", ["M54.16", "M54.99"]),
            "procedure_codes": field(
                "procedure_codes", [{"code": "72148", "units": 1}, {"code": "7214", "units": 1}]
            ),
        },
        [],
        today=TODAY,
    )
    assert any("M54.99" in w for w in report.warnings)
    assert any("7214 " in w for w in report.warnings)
    assert icd10cm_exists("G35") and icd10cm_exists("Z80.3") and not icd10cm_exists("Q99.99")


def test_implausible_dates_are_flagged() -> None:
    report = validate(
        {
            "date_of_birth": field("date_of_birth", "2030-01-01"),
            "date_of_service": field("date_of_service", "2026-03-01"),
        },
        [],
        today=TODAY,
    )
    assert (
        "the date of birth is in the future" in report.fields["date_of_birth"].validation[0].reason
    )
    assert report.fields["date_of_service"].validation[0].check == "plausible_date"


def test_line_items_must_add_up() -> None:
    items = [LineItem(code="A", amount="10.00"), LineItem(code="B", amount="5.50")]
    fields = {
        "subtotal": field("subtotal", "15.50"),
        "tax": field("tax", "1.00"),
        "total_amount": field("total_amount", "16.50"),
    }
    assert validate(fields, items, today=TODAY).warnings == ()
    fields["subtotal"] = field("subtotal", "16.00")
    report = validate(fields, items, today=TODAY)
    assert report.fields["subtotal"].validation[0].check == "line_items_sum"
    assert report.fields["total_amount"].validation[0].check == "total_sum"
