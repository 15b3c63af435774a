"""Coded lists on referrals and PA requests: ICD-10-CM diagnoses, CPT/HCPCS codes with units."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from caredesk.domain.documents import ExtractedField, OcrWord
from caredesk.ingest.extract.clinical_codes import icd_codes, procedure_code
from caredesk.ingest.extract.engine import DocumentView, is_stray, is_text
from caredesk.ingest.extract.layout import LabelHit, Row, evidence_for
from caredesk.ingest.extract.parsers import joined, words_in_span
from caredesk.ingest.validate import icd10cm_exists

EXTRACTOR = "referral-layout-v1"
DIAGNOSIS = (
    "Diagnosis",
    "ICD-10",
    "Diagnosis Code(s)",
    "Dx",
    "ICD-10-CM",
    "Diagnosis Codes",
    "ICD-10 Code",
    "Diagnoses",
)
PROCEDURE = (
    "CPT/HCPCS",
    "Procedure Code",
    "Service Code",
    "Code",
    "CPT",
    "CPT/HCPCS x Units",
    "HCPCS",
    "Procedure Codes",
    "CPT Code",
)
UNITS = ("Units", "Qty", "Quantity")


def column_rows(
    view: DocumentView, hit: LabelHit, max_rows: int = 12
) -> list[tuple[Row, list[OcrWord]]]:
    """Rows of a table column under a header label, each with the words in that column."""
    rows = view.page_rows(hit.row.page)
    neighbours = [h.x0 for h in view.row_hits(hit.row) if h.x0 > hit.x0]
    right = min(neighbours, default=1e9) - 2
    out: list[tuple[Row, list[OcrWord]]] = []
    previous = hit.row
    for row in rows[hit.row.index + 1 : hit.row.index + 1 + max_rows]:
        if not is_text(row):
            continue  # specks of dust between the rows
        if row.top - previous.bottom > 3 * max(row.height, hit.height):
            break
        if any(h.start == 0 for h in view.row_hits(row)):
            break  # the next table's header or a labelled line: this column has ended
        words = [w for w in row.words if hit.x0 - 2 * hit.height <= w.bbox.x0 < right]
        if not words and is_stray(row):
            continue  # a mark beside the column ("T" off a rule), not the next line
        if not words:
            break
        out.append((row, words))
        previous = row
    return out


def diagnoses(view: DocumentView) -> ExtractedField | None:
    codes: list[object] = []
    used: list[OcrWord] = []
    page = 0
    repaired = False
    for hit in view.hits_for(DIAGNOSIS):
        sources = [view.value_right(hit)] if view.value_right(hit) else []
        if not sources:
            sources = [words for _, words in column_rows(view, hit)]
        for words in sources:
            for code, word in codes_with_words(words):
                if code not in codes:
                    codes.append(code)
                    used.append(word)
                    page = page or hit.row.page
                    repaired = repaired or code not in icd_codes(word.text)
    return _list_field(view, "diagnosis_codes", codes, used, page, 0.6 if repaired else 1.0)


def codes_with_words(words: Sequence[OcrWord]) -> list[tuple[str, OcrWord]]:
    """Codes with the printed word each came from (evidence keeps what OCR read)."""
    found = []
    skip = False
    mended = [_digits_mended(word) for word in words]
    for printed, word, following in zip(words, mended, [*mended[1:], None], strict=True):
        if skip:
            skip = False
            continue
        joined_code = _split_code(word, following)
        if joined_code is not None:
            found.append((joined_code, printed))
            skip = True
            continue
        for code in icd_codes(word.text.strip(",;"), lenient=True):
            found.append((code, printed))
    return found


_CATEGORY = re.compile(r"[A-TV-Z]\d{2}\.?")
_CODE_START = re.compile(r"[A-TV-Z][0-9OIlSB&/][0-9A-Z&/]")
_DIGIT_FOR = str.maketrans({"&": "8", "/": "7", "S": "5", "B": "8", "O": "0", "I": "1", "l": "1"})
_NEVER_IN_CODES = str.maketrans({"&": "8", "/": "7"})


def _digits_mended(word: OcrWord) -> OcrWord:
    """A code in a diagnosis column whose digits OCR read as look-alikes: "MS416" is M54.16,
    "K&0" is K80, "G4/.33" is G47.33 (the second character of a code is always a digit; "&"
    and "/" never stand in a code)."""
    text = word.text
    if not _CODE_START.match(text):
        return word
    mended = text[0] + text[1].translate(_DIGIT_FOR) + text[2:].translate(_NEVER_IN_CODES)
    return word if mended == text else word.model_copy(update={"text": mended})


_SUBCODE = re.compile(r"[0-9][0-9A-Z]{0,3}")


def _split_code(word: OcrWord, following: OcrWord | None) -> str | None:
    """A code OCR split at its dot ("M17 11", "M54. 16"): the category and the digits after
    it, joined, when that is a real code."""
    if following is None or not _CATEGORY.fullmatch(word.text.strip(",;")):
        return None
    tail = following.text.strip(",;|")
    gap = following.bbox.x0 - word.bbox.x1
    if not _SUBCODE.fullmatch(tail) or gap > 1.2 * (word.bbox.y1 - word.bbox.y0):
        return None
    codes = icd_codes(word.text.strip(",;").rstrip(".") + "." + tail, lenient=True)
    return codes[0] if codes and icd10cm_exists(codes[0]) else None


def _list_field(
    view: DocumentView,
    name: str,
    values: list[object],
    words: list[OcrWord],
    page: int,
    quality: float = 1.0,
) -> ExtractedField | None:
    """A list-valued field; its confidence follows its least certain word."""
    if not values:
        return None
    evidence = evidence_for(view.document_id, page, words, EXTRACTOR) if page else None
    ocr = min((w.confidence for w in words), default=0.0) / 100
    return ExtractedField(
        name=name,
        value=" ".join(w.text for w in words),
        normalized=values,
        confidence=round(quality * min(1.0, max(0.0, (ocr - 0.5) / 0.42)), 4),
        evidence=evidence,
    )


_INLINE_PROCEDURE = re.compile(
    r"(?P<code>\b[0-9A-Z][0-9OIl]{3}[0-9A-Z]\b)\s*(?:x|×|X|units?:?|unit\(s\):?)\s*(?P<units>\d{1,3})\b"
)


def procedures(view: DocumentView) -> ExtractedField | None:
    entries: dict[str, int] = {}
    used: list[OcrWord] = []
    page = 0
    for hit in view.hits_for(PROCEDURE):
        right = list(hit.row.words[hit.end :]) if view.value_right(hit) else []
        found = _inline_procedures(right) if right else _table_procedures(view, hit)
        for code, units, words in found:
            if code not in entries:
                entries[code] = units
                used.extend(words)
                page = page or hit.row.page
    # "(CPT/HCPCS 72148 x 1)" inside a sentence; "72148 units 1" whose caption OCR lost
    for row in view.rows:
        for code, units, words in _inline_procedures(list(row.words)):
            if code not in entries and (re.search(r"CPT|HCPCS", row.text) or _says_units(words)):
                entries[code] = units
                used.extend(words)
                page = page or row.page
    values: list[object] = [{"code": code, "units": units} for code, units in entries.items()]
    return _list_field(view, "procedure_codes", values, used, page)


def _says_units(words: Sequence[OcrWord]) -> bool:
    """A code and a count joined by the word "units" (not a bare "x", which a dimension or a
    part number also has)."""
    return any(w.text.lower().rstrip(":s(").startswith("unit") for w in words[1:])


def _inline_procedures(words: Sequence[OcrWord]) -> list[tuple[str, int, list[OcrWord]]]:
    text, spans = joined(words)
    found = []
    for match in _INLINE_PROCEDURE.finditer(text):
        code = procedure_code(match["code"])
        if code is not None:
            used = list(words_in_span(words, spans, match.start(), match.end()))
            found.append((code, int(match["units"]), used))
    if not found:
        for word in words:
            code = procedure_code(word.text)
            if code is not None:
                found.append((code, 1, [word]))
    return found


def _table_procedures(view: DocumentView, hit: LabelHit) -> list[tuple[str, int, list[OcrWord]]]:
    units_hit = next(
        (h for h in view.row_hits(hit.row) if h.phrase in UNITS and h.x0 > hit.x0), None
    )
    found = []
    units_end = _column_end(view, hit.row, units_hit)
    for row, words in column_rows(view, hit):
        code = next((c for c in (procedure_code(w.text) for w in words[:2]) if c), None)
        code = code or _split_procedure(words[:3])
        if code is None and not any(sum(ch.isalnum() for ch in w.text) >= 3 for w in words):
            continue  # a speck OCR read as "7" between the header and the first code
        if code is None:
            break
        units, unit_words = 1, []
        if units_hit is not None:
            cells = [
                w
                for w in row.words
                if w.bbox.x1 > units_hit.x0 - 2 * units_hit.height and w.bbox.x0 < units_end
            ]
            digits = [
                w
                for w in cells
                if _COUNT.fullmatch(w.text)
                and (
                    not w.text.isdigit()  # "3}": the rule run into it makes it tall
                    or w.bbox.y1 - w.bbox.y0 <= _TALLEST_COUNT * units_hit.height
                )
            ]  # a cell's rule OCR read as a digit alone stands taller than any figure
            if digits:
                units, unit_words = int(digit_text(digits[0]).rstrip(_RULE_MARKS)), digits[:1]
        found.append((code, units, [w for w in words if procedure_code(w.text)][:1] + unit_words))
    return found


def _split_procedure(words: Sequence[OcrWord]) -> str | None:
    """A procedure code OCR cut in two ("8! 162" for 81162, a narrow 1 read apart): two
    neighbouring words in the code column, less than a letter apart, that make one code
    together where neither is one alone."""
    for first, second in itertools.pairwise(words):
        gap = second.bbox.x0 - first.bbox.x1
        height = max(w.bbox.y1 - w.bbox.y0 for w in (first, second))
        if gap < 0.6 * height:
            code = procedure_code(first.text + second.text)
            if code is not None:
                return code
    return None


# A figure stands at most this many times its column caption's height.
_TALLEST_COUNT = 1.6
# A count, with the table rule beside it that OCR ran into it ("3}", "2|").
_RULE_MARKS = "}]|)"
_COUNT = re.compile(r"\d{1,3}[}\]|)]?")


# The ink of a printed "1" is a quarter to two fifths as wide as it is tall; every other digit's is
# half or more. Fax OCR reads a lone 1 beside a table rule as "4" or "7".
_ONE_WIDTH = 0.42


def digit_text(word: OcrWord) -> str:
    """A number's text, with a lone digit whose ink is too narrow for anything but a 1 read
    as 1."""
    box = word.bbox
    if len(word.text) == 1 and (box.x1 - box.x0) < _ONE_WIDTH * (box.y1 - box.y0):
        return "1"
    return word.text


def _column_end(view: DocumentView, header: Row, hit: LabelHit | None) -> float:
    """Where a column under `hit` ends: at the next caption, or the page edge for the last
    column (numbers in a last column are often right-aligned, well past their caption)."""
    if hit is None:
        return 0.0
    following = [h.x0 for h in view.row_hits(header) if h.x0 > hit.x1]
    return min(following) - 0.5 * hit.height if following else 1e9
