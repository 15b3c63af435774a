"""Format rules for NPI, CPT, HCPCS and ICD-10-CM codes, and the code ranges policies use."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caredesk.domain.codes import (
    code_in_ranges,
    expand_code_ranges,
    is_cpt_format,
    is_hcpcs_level2_format,
    is_icd10cm_format,
    normalize_icd10,
    npi_is_valid,
    npi_with_check_digit,
)
from caredesk.domain.errors import InputRejected

stems = st.text(alphabet="0123456789", min_size=9, max_size=9)
alnum = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
icd_codes = st.builds(
    lambda letter, digit, third, tail: f"{letter}{digit}{third}{tail}",
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.sampled_from("0123456789"),
    alnum,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=4),
)


def test_published_example_npi_is_valid() -> None:
    # CMS's worked example of the NPI check digit.
    assert npi_is_valid("1234567893")
    assert npi_with_check_digit("123456789") == "1234567893"


@given(stems)
def test_npi_built_with_check_digit_always_validates(stem: str) -> None:
    npi = npi_with_check_digit(stem)
    assert len(npi) == 10 and npi.startswith(stem)
    assert npi_is_valid(npi)


@given(stems, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_invalidates_an_npi(stem: str, position: int, shift: int) -> None:
    npi = npi_with_check_digit(stem)
    changed = str((int(npi[position]) + shift) % 10)
    assert not npi_is_valid(npi[:position] + changed + npi[position + 1 :])


@given(st.text(max_size=12))
def test_npi_check_never_crashes_and_needs_ten_ascii_digits(text: str) -> None:
    if npi_is_valid(text):
        assert len(text) == 10 and text.isascii() and text.isdigit()


@pytest.mark.parametrize("stem", ["12345678", "1234567890", "12345678x", "１２３４５６７８９"])
def test_npi_stem_must_be_nine_ascii_digits(stem: str) -> None:
    with pytest.raises(InputRejected):
        npi_with_check_digit(stem)


@pytest.mark.parametrize("code", ["72148", "99213", "0042T", "3008F", "0001U"])
def test_cpt_formats_accepted(code: str) -> None:
    assert is_cpt_format(code)


@pytest.mark.parametrize("code", ["7214", "721488", "E0601", "0042X", "72 48", "７２１４８", ""])
def test_cpt_formats_rejected(code: str) -> None:
    assert not is_cpt_format(code)


@pytest.mark.parametrize("code", ["E0601", "J0135", "K0823", "G0399", "A7030", "V2020"])
def test_hcpcs_level2_formats_accepted(code: str) -> None:
    assert is_hcpcs_level2_format(code)


@pytest.mark.parametrize("code", ["W0601", "Z1234", "E060", "E06011", "72148", "EE601"])
def test_hcpcs_level2_formats_rejected(code: str) -> None:
    assert not is_hcpcs_level2_format(code)


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("M54.16", "M54.16"),
        ("M5416", "M54.16"),
        ("g47.33", "G47.33"),
        ("G35", "G35"),
        ("C50911", "C50.911"),
        ("S72.001A", "S72.001A"),
    ],
)
def test_icd10_normalised_with_dot_after_third_character(code: str, normal: str) -> None:
    assert is_icd10cm_format(code)
    assert normalize_icd10(code) == normal


@pytest.mark.parametrize("code", ["M5", "5M4.16", "M54.", "M54.12345", "MM4.1", "M54-16", ""])
def test_malformed_icd10_rejected(code: str) -> None:
    assert not is_icd10cm_format(code)
    with pytest.raises(InputRejected):
        normalize_icd10(code)


@given(icd_codes)
def test_icd10_normalisation_round_trips(code: str) -> None:
    normal = normalize_icd10(code)
    assert normalize_icd10(normal) == normal
    assert normalize_icd10(normal.replace(".", "")) == normal
    assert normalize_icd10(code.lower()) == normal
    assert normal.replace(".", "") == code


def test_ranges_expand_to_every_code_in_between() -> None:
    assert expand_code_ranges(["70551-70553", "E0601"]) == {"70551", "70552", "70553", "E0601"}
    assert expand_code_ranges(["0042T - 0044T"]) == {"0042T", "0043T", "0044T"}
    assert expand_code_ranges(["E0250\u2013E0251"]) == {"E0250", "E0251"}


@pytest.mark.parametrize(
    "bad", ["70553-70551", "70551-E0601", "7055-70553", "70551-70552-70553", "ABC", "00000-99999"]
)
def test_malformed_ranges_rejected(bad: str) -> None:
    with pytest.raises(InputRejected):
        expand_code_ranges([bad])


def test_code_in_ranges_needs_same_letters_and_length() -> None:
    ranges = ["97161-97163", "E0601", "K0800-K0899"]
    assert code_in_ranges("97162", ranges)
    assert code_in_ranges("k0823", ranges)
    assert code_in_ranges("E0601", ranges)
    assert not code_in_ranges("97164", ranges)
    assert not code_in_ranges("E0602", ranges)
    assert not code_in_ranges("0823", ranges)
    assert not code_in_ranges("not a code", ranges)


@given(st.integers(0, 99_990), st.integers(0, 9), st.integers(0, 99_999))
def test_membership_agrees_with_expansion(first: int, span: int, probe: int) -> None:
    text = f"{first:05d}-{first + span:05d}"
    code = f"{probe:05d}"
    assert code_in_ranges(code, [text]) == (code in expand_code_ranges([text]))
