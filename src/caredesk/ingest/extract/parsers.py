"""Turn the words after a label into a normalized value: names, ids, codes, dates, money, payers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from caredesk.domain.codes import (
    is_cpt_format,
    is_hcpcs_level2_format,
    is_icd10cm_format,
    normalize_icd10,
)
from caredesk.domain.documents import Normalized, OcrWord
from caredesk.ingest.extract.values import DateContext, parse_amount, parse_date
from caredesk.ingest.validate import icd10cm_exists

# The shared fictional world's payers: id, display name, short code, plans.
PAYERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "quillfeather": (
        "Quillfeather Health",
        "QFH",
        ("Quillfeather HMO", "Quillfeather PPO", "Quillfeather Medicare Advantage"),
    ),
    "tumbleweed": (
        "Tumbleweed Mutual",
        "TWM",
        ("Tumbleweed Essential EPO", "Tumbleweed Premier PPO"),
    ),
    "lanternfish": (
        "Lanternfish Community Care",
        "LCC",
        ("Lanternfish Medicaid", "Lanternfish CHIP"),
    ),
}
_CREDENTIALS = {"md", "do", "np", "pa", "pa-c", "rn", "dpm", "phd", "mbbs", "fnp", "aprn"}
# Characters OCR confuses with digits, used where a value must be all digits.
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "i": "1",
        "S": "5",
        "s": "5",
        "B": "8",
        "Z": "2",
        "z": "2",
        "G": "6",
        "g": "9",
        "T": "7",
    }
)


@dataclass(frozen=True)
class Parsed:
    """A value read from some of the candidate words; `quality` 0–1 says how sure the parse is."""

    value: str
    normalized: Normalized
    words: tuple[OcrWord, ...]
    quality: float = 1.0


Parser = Callable[[Sequence[OcrWord], DateContext], Parsed | None]


def joined(words: Sequence[OcrWord]) -> tuple[str, list[tuple[int, int]]]:
    """Words joined by single spaces, with each word's character span."""
    spans, text = [], ""
    for word in words:
        if text:
            text += " "
        spans.append((len(text), len(text) + len(word.text)))
        text += word.text
    return text, spans


def words_in_span(
    words: Sequence[OcrWord], spans: list[tuple[int, int]], start: int, end: int
) -> tuple[OcrWord, ...]:
    return tuple(w for w, (a, b) in zip(words, spans, strict=True) if a < end and b > start)


def _regex_parser(pattern: re.Pattern[str], normalize: Callable[[str], str | None]) -> Parser:
    def parse(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
        text, spans = joined(words)
        for match in pattern.finditer(text):
            normalized = normalize(match.group(0))
            if normalized is not None:
                used = words_in_span(words, spans, match.start(), match.end())
                return Parsed(match.group(0), normalized, used)
        return None

    return parse


def parse_date_value(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """The first date among the words; evidence is the words that spell it."""
    text, spans = joined(words)
    for start in range(len(words)):
        found = parse_date(text[spans[start][0] :], context)
        if found is None:
            continue
        for end in range(start + 1, min(start + 5, len(words)) + 1):
            piece = text[spans[start][0] : spans[end - 1][1]]
            if parse_date(piece, context) == found:
                used = tuple(words[start:end])
                return Parsed(piece, found.isoformat(), used, _date_quality(piece, context))
        return None
    return None


def _date_quality(printed: str, context: DateContext) -> float:
    """Numeric dd/mm both ≤ 12 with nothing on the page to say which is which: less sure."""
    match = re.search(r"(?<!\d)(\d{1,2})\s?[/\-]\s?(\d{1,2})\s?[/\-]\s?\d{2,4}", printed)
    if match and int(match[1]) <= 12 and int(match[2]) <= 12 and match[1] != match[2]:
        return 1.0 if context.day_first is not None else 0.9
    return 1.0


def _npi(text: str) -> str | None:
    digits = text.translate(_DIGIT_LOOKALIKES)
    return digits if re.fullmatch(r"\d{10}", digits) else None


parse_npi = _regex_parser(re.compile(r"(?<![\w])[\dOoIlDSB|]{10}(?![\w])"), _npi)


def _member_id(text: str) -> str | None:
    """Letters (the payer's prefix), an optional dash, digits: OCR slips in the digits fixed.

    OCR sometimes splits the id in two words; the pieces are joined again.
    """
    compact = re.sub(r"[~—–_]", "-", text.replace(" ", ""))
    match = re.fullmatch(r"([A-Za-z]{2,4}?)(-?)([\dOoIlDSBZ|]{6,12})", compact)
    if match is None or sum(ch.isdigit() for ch in match[3]) < 4:
        return None
    return f"{match[1].upper()}{match[2]}{match[3].translate(_DIGIT_LOOKALIKES)}"


parse_member_id = _regex_parser(
    re.compile(
        r"(?<![\w-])[A-Za-z]{2,4}[-~—–_]?\s?[\dOoIlDSBZ|]{2,12}(?:\s[\dOoIlDSBZ|]{2,10})?(?![\w])"
    ),
    _member_id,
)


def _reference(text: str) -> str | None:
    cleaned = text.strip(".,;:")
    return cleaned.upper() if sum(ch.isdigit() for ch in cleaned) >= 3 else None


parse_reference = _regex_parser(
    re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/.]{3,30}[A-Za-z0-9]"), _reference
)


def parse_money(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """The rightmost amount among the words: "VAT 20% £67.04" → 67.04 (a rate is no amount)."""
    groups = amount_groups(words)
    if not groups:
        return None
    group = groups[-1]
    text, _ = joined(group)
    money = parse_amount(text)
    if money is None:
        return None
    return Parsed(text, money.canonical, tuple(group))


def amount_groups(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    """Runs of words that print one amount each; "1 234,50" (French thousands) stays one run."""
    groups: list[list[OcrWord]] = []
    for word in words:
        text = word.text.strip()
        if text.endswith("%") or not any(ch.isdigit() for ch in text):
            continue
        if groups and _continues_amount(groups[-1][-1], word):
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def _continues_amount(previous: OcrWord, word: OcrWord) -> bool:
    gap = word.bbox.x0 - previous.bbox.x1
    height = max(1.0, word.bbox.y1 - word.bbox.y0)
    return (
        gap < 0.6 * height
        and previous.text.isdigit()
        and len(previous.text) <= 3
        and bool(re.fullmatch(r"\d{3}([.,]\d{2})?", word.text.strip(" €$£")))
    )


def _is_currency(text: str) -> bool:
    return text.strip() in {"$", "€", "£", "EUR", "USD", "GBP", "CHF"}


def parse_text(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    text = " ".join(w.text for w in words).strip(" :;,")
    if not any(ch.isalpha() for ch in text):
        return None
    return Parsed(text, text, tuple(words))


def parse_name_text(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """An organisation's name: free text, with OCR's I-for-l slips mended word by word."""
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    mended = " ".join(fix_name_word(w) for w in parsed.value.split()).rstrip(".,;:")
    return Parsed(parsed.value, mended, parsed.words, parsed.quality)


def parse_person(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A person: "Jane Doe", "Doe, Jane", "DOE, JANE" or "Dr. Jane Doe, MD" → "Jane Doe"."""
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    name = person_name(parsed.value)
    return Parsed(parsed.value, name, parsed.words, 1.0 if len(name.split()) >= 2 else 0.6)


def fix_name_word(word: str) -> str:
    """OCR reads a capital I as l, |, ! or { at the start of a name ("lpsumford")."""
    if len(word) > 2 and word[0] in "l|1!{[" and word[1].islower() and word[1] not in "aeiouy":
        return "I" + word[1:]
    return word


def person_name(printed: str) -> str:
    # "DOE. JANE": fax OCR reads the comma of "Last, First" as a full stop.
    printed = re.sub(r"^([A-Za-z'\-]{3,})\. ([A-Za-z])", r"\1, \2", printed.strip())
    parts = [p.strip() for p in printed.replace(";", ",").split(",") if p.strip()]
    parts = [p for p in parts if norm_word(p) not in _CREDENTIALS]
    if len(parts) >= 2 and len(parts[0].split()) == 1:
        parts = [parts[1], parts[0]]  # "Doe, Jane" → "Jane Doe"
    tokens = " ".join(parts).split()
    tokens = [t for t in tokens if norm_word(t) not in {"dr", "mr", "mrs", "ms"} | _CREDENTIALS]
    name = " ".join(fix_name_word(t) for t in tokens).rstrip(".,;:")
    return name.title() if name.isupper() else name


def norm_word(text: str) -> str:
    return re.sub(r"[^a-z\-]", "", text.lower())


def payer_id(text: str) -> str | None:
    """quillfeather | tumbleweed | lanternfish from a name, plan or short code in the text."""
    lowered = text.lower()
    for payer, (name, short, _plans) in PAYERS.items():
        if payer in lowered or name.lower() in lowered:
            return payer
        if re.search(rf"\b{short.lower()}\b", lowered):
            return payer
    return None


def parse_payer(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    found = payer_id(parsed.value)
    return None if found is None else Parsed(parsed.value, found, parsed.words)


def parse_plan(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A plan is one of its payer's products; OCR slips are forgiven by word overlap."""
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    printed = set(norm_word(w) for w in parsed.value.split())
    best, best_score = None, 0.0
    for _, _, plans in PAYERS.values():
        for plan in plans:
            wanted = set(norm_word(w) for w in plan.split())
            score = len(printed & wanted) / len(wanted | printed)
            if score > best_score:
                best, best_score = plan, score
    if best is None or best_score < 0.5:
        return Parsed(parsed.value, parsed.value, parsed.words, 0.5)
    return Parsed(parsed.value, best, parsed.words, 1.0 if best_score == 1 else 0.8)


_ICD_TOKEN = re.compile(r"(?<![\w.])([A-TV-Z][0-9OIl][0-9A-Z](?:\.?[0-9A-Z]{1,4})?)(?![\w])")
_ICD_DIGIT_FIRST = re.compile(r"(?<![\w.])([0-9][0-9][0-9A-Z]\.[0-9A-Z]{1,4})(?![\w])")
# What fax OCR reads a code's first letter as, and which digits it mixes up.
_LETTER_AS_DIGIT = {"2": "Z", "5": "S", "8": "B", "0": "D", "6": "G", "7": "T", "1": "I"}
_DIGIT_SLIPS = {
    "1": "47",
    "4": "19",
    "7": "1",
    "3": "85",
    "8": "360",
    "5": "63",
    "6": "58",
    "0": "89",
    "9": "04",
    "2": "7",
}


def icd_codes(text: str, *, lenient: bool = False) -> list[str]:
    """ICD-10-CM codes printed in `text`, dotted or not, normalized ("M5416" → "M54.16").

    Codes are printed in capitals with digits; a word of letters ("CODE") is not a code even
    if OCR could have turned its O into a zero. `lenient` (a diagnosis column or label is
    known to be there) also takes codes whose first letter OCR read as a digit ("280.3") and
    repairs one misread digit when exactly one repair is a real code.
    """
    codes = []
    raws = list(_ICD_TOKEN.findall(text))
    if lenient:
        raws += [_LETTER_AS_DIGIT.get(r[0], r[0]) + r[1:] for r in _ICD_DIGIT_FIRST.findall(text)]
    for raw in raws:
        if sum(ch.isdigit() for ch in raw) < 2:
            continue
        fixed = raw[0] + raw[1].translate(_DIGIT_LOOKALIKES) + raw[2:]
        if not (is_icd10cm_format(fixed) and fixed[1].isdigit()):
            continue
        code = normalize_icd10(fixed)
        if lenient:
            code = repaired_icd(code)
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
        for rank, other in enumerate(_DIGIT_SLIPS.get(char, "")):
            repair = code[:i] + other + code[i + 1 :]
            if icd10cm_exists(repair):
                ranked.append(((i < 3, rank), repair))
    ranked.sort()
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return code
    return ranked[0][1]


_PROCEDURE_TOKEN = re.compile(r"(?<![\w.\-])([0-9OIl]{4}[0-9FTU]|[A-V][0-9OIl]{4})(?![\w\-])")


def procedure_code(token: str) -> str | None:
    """A CPT or HCPCS Level II code from one printed token, with OCR digit slips fixed."""
    match = _PROCEDURE_TOKEN.fullmatch(token.strip(".,;:()").upper())
    if match is None:
        return None
    raw = match.group(1)
    head = raw[0] if raw[0].isalpha() and raw[1:].isdigit() else raw[0].translate(_DIGIT_LOOKALIKES)
    fixed = head + raw[1:].translate(_DIGIT_LOOKALIKES)
    return fixed if is_cpt_format(fixed) or is_hcpcs_level2_format(fixed) else None
