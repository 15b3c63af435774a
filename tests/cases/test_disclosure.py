"""Minimum necessary: each audience sees only its fields, and a blocked draft names the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.cases.builders import (
    DOB,
    FACILITY,
    FACILITY_NPI,
    MEMBER_ID,
    ORDERING,
    ORDERING_NPI,
    PATIENT,
)

from caredesk.domain.cases import Case, CaseValue, ServiceLine
from caredesk.domain.disclosure import ALLOWED_FIELDS, check_disclosure
from caredesk.domain.drafts import Audience

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _case(**overrides: Any) -> Case:
    values: dict[str, Any] = {
        "patient_name": PATIENT,
        "date_of_birth": DOB,
        "member_id": MEMBER_ID,
        "payer": "quillfeather",
        "plan": "Quillfeather PPO",
        "procedure_codes": [ServiceLine(code="72148", units=1)],
        "diagnosis_codes": ["M54.16"],
        "ordering_provider_name": ORDERING,
        "ordering_provider_npi": ORDERING_NPI,
        "rendering_provider_name": FACILITY,
        "rendering_provider_npi": FACILITY_NPI,
        **overrides,
    }
    return Case(
        id="case_test",
        received_at=NOW,
        due_at=NOW,
        **{name: CaseValue[Any](value=value) for name, value in values.items()},
    )


CASE = _case()
PATIENT_NOTICE = (
    f"Dear {PATIENT}, your request for a lumbar spine MRI (72148) with Quillfeather PPO is "
    f"waiting for records from {ORDERING}. We will write again within 7 days."
)
PROVIDER_REQUEST = (
    f"Re: {PATIENT}, DOB 04/09/1961, member {MEMBER_ID}. Quillfeather asks for a neurological "
    f"exam within 30 days before it can review 72148. Ordering NPI {ORDERING_NPI}."
)
PAYER_LETTER = (
    f"{PATIENT} ({DOB.isoformat()}), member {MEMBER_ID}: MRI 72148 for M54.16, ordered by "
    f"{ORDERING} (NPI {ORDERING_NPI}), performed at {FACILITY} (NPI {FACILITY_NPI})."
)


@pytest.mark.parametrize(
    ("audience", "text"),
    [
        (Audience.PATIENT, PATIENT_NOTICE),
        (Audience.ORDERING_PROVIDER, PROVIDER_REQUEST),
        (Audience.PAYER, PAYER_LETTER),
        (Audience.INTERNAL, PAYER_LETTER),
    ],
)
def test_each_audience_may_receive_what_it_needs(audience: Audience, text: str) -> None:
    assert check_disclosure(audience, sorted(ALLOWED_FIELDS[audience]), text, CASE) == []


def test_a_patient_notice_with_a_diagnosis_code_is_blocked_and_names_the_field() -> None:
    text = PATIENT_NOTICE + " The MRI is for M54.16."
    [violation] = check_disclosure(Audience.PATIENT, [], text, CASE)
    assert violation.field == "diagnosis_codes"
    assert violation.found_in == "text"
    assert "diagnosis_codes may not be disclosed to the patient" in violation.message


def test_any_icd_code_in_a_patient_notice_is_caught_even_one_not_on_the_case() -> None:
    [violation] = check_disclosure(Audience.PATIENT, [], "History of G47.33 noted.", CASE)
    assert violation.field == "diagnosis_codes"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (f" Your member ID is {MEMBER_ID}.", "member_id"),
        (f" Member id {MEMBER_ID[:3]}-{MEMBER_ID[3:]}.", "member_id"),
        (" Date of birth: 04/09/1961.", "date_of_birth"),
        (" Born April 9, 1961.", "date_of_birth"),
        (f" Dr. Placeholder's NPI is {ORDERING_NPI}.", "ordering_provider_npi"),
        (f" The scan is at {FACILITY}.", "rendering_provider_name"),
    ],
)
def test_a_patient_notice_carrying_a_field_it_may_not_see_is_blocked(
    extra: str, field: str
) -> None:
    violations = check_disclosure(Audience.PATIENT, [], PATIENT_NOTICE + extra, CASE)
    assert [v.field for v in violations] == [field]


def test_the_ordering_provider_gets_no_other_providers_details() -> None:
    text = PROVIDER_REQUEST + f" Scheduled at {FACILITY}, NPI {FACILITY_NPI}."
    fields = {v.field for v in check_disclosure(Audience.ORDERING_PROVIDER, [], text, CASE)}
    assert fields == {"rendering_provider_name", "rendering_provider_npi"}


def test_declared_fields_beyond_the_audience_are_blocked_without_reading_the_text() -> None:
    violations = check_disclosure(
        Audience.PATIENT, ["patient_name", "member_id"], "Dear patient.", CASE
    )
    assert [(v.field, v.found_in) for v in violations] == [("member_id", "fields_used")]


def test_a_value_shared_with_an_allowed_field_is_no_disclosure() -> None:
    same_npi = _case(rendering_provider_npi=ORDERING_NPI)
    assert check_disclosure(Audience.ORDERING_PROVIDER, [], PROVIDER_REQUEST, same_npi) == []


def test_short_values_and_ordinary_words_do_not_trip_the_check() -> None:
    short = _case(member_id="7", rendering_provider_name="Dr")
    assert check_disclosure(Audience.PATIENT, [], "Dr 7 will call you soon.", short) == []
