"""ICD-10-CM, CPT and HCPCS codes read from printed text, with fax OCR slips repaired."""

from __future__ import annotations

import re
from functools import partial

from caredesk.domain.codes import (
    is_cpt_format,
    is_hcpcs_level2_format,
    is_icd10cm_format,
    normalize_icd10,
)
from caredesk.ingest.extract.parsers import DIGIT_LOOKALIKES, DIGIT_SLIPS
from caredesk.ingest.validate import icd10cm_exists

_ICD_TOKEN = re.compile(r"(?<![\w.])([A-TV-Z][0-9OIl][0-9A-Z](?:\.?[0-9A-Z]{1,4})?)(?![\w])")
_ICD_DIGIT_FIRST = re.compile(r"(?<![\w.])([0-9][0-9][0-9A-Z]\.[0-9A-Z]{1,4})(?![\w])")
# A code whose capital OCR read small, and a 5 after it as s ("cs0911" for C50911).
_ICD_SMALL_FIRST = re.compile(
    r"(?<![\w.])([a-tv-z][0-9OIlSs][0-9A-Z](?:\.?[0-9A-Z]{1,4})?)(?![\w])"
)
# What fax OCR reads a code's first letter as.
_LETTER_AS_DIGIT = {"2": "Z", "5": "S", "8": "B", "0": "D", "6": "G", "7": "T", "1": "I"}


# Fax OCR reads the C of "C50.911" as "¢", "©" or "€", and the E of "E11.9" as "€" or "£".
_SIGN_FOR_LETTER = re.compile(r"(?<![\w.])([¢©€£])(\d\d[0-9A-Z]?(?:\.?[0-9A-Z]{1,4})?)(?![\w])")
_SIGN_LETTERS = {"¢": "C", "©": "C", "€": "CE", "£": "EC"}


def _letter_for_sign(match: re.Match[str], *, lenient: bool) -> str:
    """The capital a currency sign stands for: the one that makes a real code, else the
    likeliest for that sign. What could be a price ("€11.65") stays one unless a diagnosis
    label or column says codes are there (`lenient`)."""
    letters, rest = _SIGN_LETTERS[match[1]], match[2]
    if not lenient and re.fullmatch(r"\d+\.\d\d", rest):
        return match[0]
    real = [
        letter
        for letter in letters
        if is_icd10cm_format(letter + rest) and icd10cm_exists(normalize_icd10(letter + rest))
    ]
    return (real or letters)[0] + rest


def icd_codes(text: str, *, lenient: bool = False) -> list[str]:
    """ICD-10-CM codes printed in `text`, dotted or not, normalized ("M5416" → "M54.16").

    Codes are printed in capitals with digits; a word of letters ("CODE") is not a code even
    if OCR could have turned its O into a zero. `lenient` (a diagnosis column or label is
    known to be there) also takes codes whose first letter OCR read as a digit ("280.3") and
    repairs one misread digit when exactly one repair is a real code.
    """
    codes = []
    text = _SIGN_FOR_LETTER.sub(partial(_letter_for_sign, lenient=lenient), text)
    raws = list(_ICD_TOKEN.findall(text))
    small: set[str] = set()
    if lenient:
        raws += [_LETTER_AS_DIGIT.get(r[0], r[0]) + r[1:] for r in _ICD_DIGIT_FIRST.findall(text)]
        small = {r[0].upper() + r[1:] for r in _ICD_SMALL_FIRST.findall(text)}
        raws += sorted(small)
    for raw in raws:
        if sum(ch.isdigit() for ch in raw) < 2:
            continue
        fixed = raw[0] + raw[1].translate(DIGIT_LOOKALIKES) + raw[2:]
        if not (is_icd10cm_format(fixed) and fixed[1].isdigit()):
            continue
        code = normalize_icd10(fixed)
        if lenient:
            code = repaired_icd(code)
        if raw in small and not icd10cm_exists(code):
            continue  # a word in small letters is a code only when it names a real one
        if code not in codes:
            codes.append(code)
    return codes


def repaired_icd(code: str) -> str:
    """The code itself if it exists, else its likeliest one-digit OCR repair that exists:
    the same category first (OCR slips rarely hit both), then the commonest slip."""
    if icd10cm_exists(code):
        return code
    ranked = []
    for i, char in enumerate(code):
        if i == 0 or not char.isdigit():
            continue
        for rank, other in enumerate(DIGIT_SLIPS.get(char, "")):
            repair = code[:i] + other + code[i + 1 :]
            if icd10cm_exists(repair):
                ranked.append(((i < 3, rank), repair))
    ranked.sort()
    if not ranked:
        letters = [other + code[1:] for other in _LETTER_SLIPS.get(code[0], "")]
        real = [repair for repair in letters if icd10cm_exists(repair)]
        return real[0] if len(real) == 1 else code
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return code
    return ranked[0][1]


# Capitals fax OCR mixes up at the start of a code ("I40.50" for "L40.50").
_LETTER_SLIPS = {"I": "L", "L": "I", "O": "DQ", "D": "O", "Q": "O", "E": "F", "F": "E"}


_PROCEDURE_TOKEN = re.compile(r"(?<![\w.\-])([0-9OIl!]{4}[0-9FTU]|[A-V][0-9OIl!]{4})(?![\w\-])")


def procedure_code(token: str) -> str | None:
    """A CPT or HCPCS Level II code from one printed token, with OCR digit slips fixed."""
    printed = re.sub(r"^[£€](?=\d{4}$)", "E", token.strip(".,;:()[]{}|"))  # "£0601": E0601
    match = _PROCEDURE_TOKEN.fullmatch(printed.upper())
    if match is None:
        return None
    raw = match.group(1)
    head = raw[0] if raw[0].isalpha() and raw[1:].isdigit() else raw[0].translate(DIGIT_LOOKALIKES)
    fixed = head + raw[1:].translate(DIGIT_LOOKALIKES)
    return fixed if is_cpt_format(fixed) or is_hcpcs_level2_format(fixed) else None
