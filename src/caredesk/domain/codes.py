"""Format rules for the identifiers PA paperwork carries: NPI, CPT, HCPCS Level II, ICD-10-CM."""

from __future__ import annotations

import re
from collections.abc import Iterable

from caredesk.domain.errors import InputRejected

# The NPI check digit is a Luhn digit computed as if the card-issuer prefix 80840 preceded it.
_NPI_PREFIX = "80840"
_DIGITS = frozenset("0123456789")
_CPT = re.compile(r"[0-9]{5}|[0-9]{4}[FTU]", re.IGNORECASE)
_HCPCS_LEVEL2 = re.compile(r"[A-V][0-9]{4}", re.IGNORECASE)
_ICD10CM = re.compile(r"([A-Z][0-9][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?", re.IGNORECASE)
# A code split into leading letters, the digits a range counts over, and trailing letters.
_CODE_PARTS = re.compile(r"([A-Z]*)([0-9]+)([A-Z]*)")
_RANGE_DASHES = re.compile(r"\s*[-\u2010-\u2015]\s*")
# A range wider than this is a typo ("70551-75553"), not a policy.
MAX_RANGE_SIZE = 10_000


def _is_ascii_digits(text: str, length: int) -> bool:
    return len(text) == length and all(char in _DIGITS for char in text)


def _luhn_check_digit(payload: str) -> str:
    """Digit that makes `payload` + digit pass the Luhn test."""
    total = 0
    # Walking right to left, the digit next to the (future) check digit is doubled first.
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def npi_with_check_digit(first9: str) -> str:
    """The ten-digit NPI whose first nine digits are `first9`."""
    if not _is_ascii_digits(first9, 9):
        raise InputRejected("An NPI stem must be exactly nine digits.")
    return first9 + _luhn_check_digit(_NPI_PREFIX + first9)


def npi_is_valid(npi: str) -> bool:
    """True when `npi` is ten digits whose last digit is the Luhn check digit of the rest."""
    if not _is_ascii_digits(npi, 10):
        return False
    return _luhn_check_digit(_NPI_PREFIX + npi[:9]) == npi[9]


def is_cpt_format(code: str) -> bool:
    """Five digits (Category I), or four digits then F, T or U (Category II, III, PLA)."""
    return _CPT.fullmatch(code) is not None and code.isascii()


def is_hcpcs_level2_format(code: str) -> bool:
    """One letter A–V then four digits (E0601, J0135, K0823)."""
    return _HCPCS_LEVEL2.fullmatch(code) is not None and code.isascii()


def is_icd10cm_format(code: str) -> bool:
    """Letter, digit, letter-or-digit, then optionally a dot and 1–4 letters or digits.

    The dot is optional because claims and many forms print codes without it ("M5416").
    """
    return _ICD10CM.fullmatch(code) is not None and code.isascii()


def normalize_icd10(code: str) -> str:
    """Upper-case ICD-10-CM code with the dot after the third character ("m5416" → "M54.16")."""
    match = _ICD10CM.fullmatch(code) if code.isascii() else None
    if match is None:
        raise InputRejected("Not an ICD-10-CM code.", length=len(code))
    category, subcategory = match.group(1).upper(), match.group(2)
    return f"{category}.{subcategory.upper()}" if subcategory else category


def _split_code(code: str) -> tuple[str, int, int, str]:
    """(leading letters, number, digit count, trailing letters) of a code such as "E0601"."""
    match = _CODE_PARTS.fullmatch(code.strip().upper()) if code.isascii() else None
    if match is None:
        raise InputRejected("Not a procedure code or code range.", length=len(code))
    prefix, digits, suffix = match.groups()
    return prefix, int(digits), len(digits), suffix


def _parse_range(text: str) -> tuple[str, int, int, int, str]:
    """(prefix, first, last, digit count, suffix) of "70551-70553"; one code is a range of one."""
    ends = _RANGE_DASHES.split(text.strip())
    if len(ends) == 1:
        prefix, number, width, suffix = _split_code(ends[0])
        return prefix, number, number, width, suffix
    if len(ends) != 2:
        raise InputRejected("A code range has exactly one dash.", length=len(text))
    low, high = _split_code(ends[0]), _split_code(ends[1])
    if (low[0], low[2], low[3]) != (high[0], high[2], high[3]):
        raise InputRejected("Both ends of a code range need the same letters and length.")
    if low[1] > high[1]:
        raise InputRejected("A code range must run from the lower code to the higher one.")
    if high[1] - low[1] >= MAX_RANGE_SIZE:
        raise InputRejected("A code range is implausibly wide.", size=high[1] - low[1] + 1)
    return low[0], low[1], high[1], low[2], low[3]


def expand_code_ranges(ranges: Iterable[str]) -> set[str]:
    """Codes named by `ranges`: ["70551-70553", "E0601"] → {"70551", "70552", "70553", "E0601"}."""
    codes: set[str] = set()
    for text in ranges:
        prefix, first, last, width, suffix = _parse_range(text)
        codes.update(f"{prefix}{number:0{width}d}{suffix}" for number in range(first, last + 1))
    return codes


def code_in_ranges(code: str, ranges: Iterable[str]) -> bool:
    """True when `code` is one of the codes or inside a range (same letters, same length)."""
    try:
        prefix, number, width, suffix = _split_code(code)
    except InputRejected:
        return False
    for text in ranges:
        low_prefix, first, last, low_width, low_suffix = _parse_range(text)
        same_shape = (prefix, width, suffix) == (low_prefix, low_width, low_suffix)
        if same_shape and first <= number <= last:
            return True
    return False
