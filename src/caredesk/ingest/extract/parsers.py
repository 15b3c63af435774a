"""Turn the words after a label into a normalized value: names, ids, dates, money (payers and
clinical codes have their own modules)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from caredesk.domain.codes import (
    npi_is_valid,
)
from caredesk.domain.documents import Normalized, OcrWord
from caredesk.ingest.extract.layout import close, edit_distance
from caredesk.ingest.extract.values import DateContext, parse_amount, parse_date

_CREDENTIALS = {"md", "do", "np", "pa", "pa-c", "rn", "dpm", "phd", "mbbs", "fnp", "aprn"}
# Characters OCR confuses with digits, used where a value must be all digits.
DIGIT_LOOKALIKES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "!": "1",
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

# Digits fax OCR mixes up, commonest first.
DIGIT_SLIPS = {
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
    printed, spans = joined(words)
    mended = _ISO_DASH_LOST.sub(r"\1-\2", printed)
    text = _mend_years(_zeros_mended(_date_letters_mended(mended)), context.reference_year)
    for start in range(len(words)):
        found = parse_date(text[spans[start][0] :], context)
        if found is None:
            continue
        for end in range(start + 1, min(start + 5, len(words)) + 1):
            piece = text[spans[start][0] : spans[end - 1][1]]
            if parse_date(piece, context) == found:
                used = tuple(words[start:end])
                value = printed[spans[start][0] : spans[end - 1][1]]
                quality = _date_quality(piece, context)
                if piece != value:
                    quality = min(quality, MENDED_YEAR_QUALITY)
                return Parsed(value, found.isoformat(), used, quality)
        return None
    return None


# An ISO date whose first dash the fax lost ("2026 02-21"); the same length, so the words'
# spans still hold.
_ISO_DASH_LOST = re.compile(r"(?<![\w-])(\d{4}) (\d{2}-\d{2})(?![\w-])")


# A date printed with numbers, one of whose digits OCR read as a letter ("2026-U4-24": an
# open-topped 0 read as U). Only one letter: more is a word, not a misread date.
_DATE_SHAPE = re.compile(r"(?<![\w-])(\d{4}-[\w]{2}-[\w]{2}|[\w]{1,2}/[\w]{1,2}/\d{4})(?![\w-])")
_DATE_LETTERS = str.maketrans({"U": "0", "u": "0"})


def _date_letters_mended(text: str) -> str:
    def mend(match: re.Match[str]) -> str:
        shape = match[0]
        if sum(ch.isalpha() for ch in shape) != 1:
            return shape
        mended = shape.translate(_DATE_LETTERS).translate(DIGIT_LOOKALIKES)
        return mended if not any(ch.isalpha() for ch in mended) else shape

    return _DATE_SHAPE.sub(mend, text)


# A day or month of a numeric date over 31 can be neither: fax OCR closed the 0 it starts with
# into an 8 or a 9 ("2026-82-83", "92-02-2026"); the same length, so the spans hold.
_NUMERIC_DATE = re.compile(r"(?<![\w-])(\d{4}-\d{2}-\d{2}|\d{2}[-/.]\d{2}[-/.]\d{4})(?![\w-])")


def _zeros_mended(text: str) -> str:
    def mend(match: re.Match[str]) -> str:
        return re.sub(
            r"(?<!\d)[89](\d)(?!\d)",
            lambda part: "0" + part[1] if int(part[0]) > 31 else part[0],
            match[0],
        )

    return _NUMERIC_DATE.sub(mend, text)


# A year fax OCR read with a 7 for a 2 ("2076", "7026") lies decades ahead: the one year
# within five of today's that putting a 2 back gives is taken. A date mended so, or for a
# letter in its digits, is never auto-accepted.
MENDED_YEAR_QUALITY = 0.8
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_YEARS_AROUND = 5


def _mend_years(text: str, reference_year: int) -> str:
    def mend(match: re.Match[str]) -> str:
        year = match[0]
        if int(year) <= reference_year + _YEARS_AROUND:
            return year
        options = {year[:i] + "2" + year[i + 1 :] for i, ch in enumerate(year) if ch == "7"}
        near = [o for o in options if abs(int(o) - reference_year) <= _YEARS_AROUND]
        return near[0] if len(near) == 1 else year

    return _YEAR.sub(mend, text)


def parse_birth_date(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A date of birth: printed with a two-digit year it is always in the past ("12/01/45" is
    1945, where a date of service "03/02/45" would be 2045)."""
    parsed = parse_date_value(words, context)
    if parsed is None or re.search(r"\d{4}", parsed.value):
        return parsed
    born = date.fromisoformat(str(parsed.normalized))
    if born.year <= context.reference_year:
        return parsed
    return replace(parsed, normalized=born.replace(year=born.year - 100).isoformat())


def _date_quality(printed: str, context: DateContext) -> float:
    """Numeric dd/mm both ≤ 12 with nothing on the page to say which is which: less sure."""
    match = re.search(r"(?<!\d)(\d{1,2})\s?[/\-]\s?(\d{1,2})\s?[/\-]\s?\d{2,4}", printed)
    if match and int(match[1]) <= 12 and int(match[2]) <= 12 and match[1] != match[2]:
        return 1.0 if context.day_first is not None else 0.9
    return 1.0


def _npi(text: str) -> str | None:
    digits = text.translate(DIGIT_LOOKALIKES)
    return digits if re.fullmatch(r"\d{10}", digits) else None


_parse_npi = _regex_parser(re.compile(r"(?<![\w])[\dOoIlDSB|]{10}(?![\w])"), _npi)
# An NPI whose check digit only holds after one usual OCR digit slip is put right.
REPAIRED_NPI_QUALITY = 0.7


def parse_npi(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """Ten digits that pass the NPI check digit; one failing it is mended when exactly one
    common OCR digit slip makes it pass, and dropped otherwise (a misread NPI is worse than
    none: it names another clinician)."""
    parsed = _parse_npi(words, context)
    if parsed is None:
        return _npi_with_a_mark(words)
    number = str(parsed.normalized)
    if npi_is_valid(number):
        return parsed
    repairs = {
        number[:i] + other + number[i + 1 :]
        for i, char in enumerate(number)
        for other in DIGIT_SLIPS.get(char, "")
    }
    valid = [r for r in repairs if npi_is_valid(r)]
    if len(valid) != 1:
        return None
    return Parsed(parsed.value, valid[0], parsed.words, REPAIRED_NPI_QUALITY)


# Ten characters, one of them a mark where fax OCR lost a digit ("1747636/63").
_NPI_ONE_MARK = re.compile(
    r"(?<![\w/])([\dOoIlDSB|]*)[/?'\":;,.~](?=[\dOoIlDSB|])([\dOoIlDSB|]*)(?![\w/])"
)


def _npi_with_a_mark(words: Sequence[OcrWord]) -> Parsed | None:
    """An NPI with one digit lost to a mark: the check digit gives the lost digit back, as it
    can for any one unknown position; never auto-accepted."""
    text, spans = joined(words)
    for match in _NPI_ONE_MARK.finditer(text):
        head, tail = (part.translate(DIGIT_LOOKALIKES) for part in match.groups())
        if len(head) + len(tail) != 9 or not (head + tail).isdigit():
            continue
        numbers = [head + d + tail for d in "0123456789" if npi_is_valid(head + d + tail)]
        if len(numbers) != 1:
            continue
        number = numbers[0]
        used = words_in_span(words, spans, match.start(), match.end())
        return Parsed(match.group(0), number, used, REPAIRED_NPI_QUALITY)
    return None


# How each payer of the shared world prints its member ids: prefix, separator, digit count.
MEMBER_ID_FORMATS: dict[str, tuple[str, int]] = {"QFH": ("", 9), "TWM": ("-", 8), "LCC": ("", 10)}
# How each payer of the shared world prints its authorization numbers.
AUTHORIZATION_FORMATS = re.compile(r"QF-PA-20\d{2}-\d{7}|TWM20\d{11}|LCC-\d{2}-\d{8}")
# Quality of an id whose payer prefix had to be repaired: never auto-accepted.
REPAIRED_ID_QUALITY = 0.85


def _member_id(text: str) -> str | None:
    """Letters (the payer's prefix), an optional dash, digits: OCR slips in the digits fixed.

    OCR sometimes splits the id in two words; the pieces are joined again. A prefix OCR
    garbled ("TWVM", "TVYM") is repaired to the one known payer prefix it is close to, when
    the digits have exactly that payer's count.
    """
    compact = re.sub(r"[~—–_]", "-", text.replace(" ", ""))
    match = re.fullmatch(r"([A-Za-z]{2,4}?)(-?)([\dOoIlDSBZ|]{6,12})", compact)
    if match is None or sum(ch.isdigit() for ch in match[3]) < 4:
        return None
    prefix, dash, digits = match[1].upper(), match[2], match[3].translate(DIGIT_LOOKALIKES)
    repaired = payer_prefix(prefix, len(digits))
    if repaired is not None and repaired != prefix:
        prefix, dash = repaired, MEMBER_ID_FORMATS[repaired][0]
    return f"{prefix}{dash}{digits}"


def payer_prefix(printed: str, digits: int) -> str | None:
    """The known member-id prefix `printed` spells, itself or within two OCR slips when the
    digit count fits that payer's format and no other prefix is as close."""
    if printed in MEMBER_ID_FORMATS:
        return printed
    ranked = sorted(
        (edit_distance(printed, prefix), prefix)
        for prefix, (_, count) in MEMBER_ID_FORMATS.items()
        if count == digits
    )
    if not ranked or ranked[0][0] > 2 or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    return ranked[0][1]


_MEMBER_ID_PATTERN = re.compile(
    r"(?<![\w\-~£€$])[A-Za-z]{2,4}[-~—–_]?\s?[\dOoIlDSBZ|]{1,12}(?:\s[\dOoIlDSBZ|]{2,10})?(?![\w])"
)
_parse_member_id = _regex_parser(_MEMBER_ID_PATTERN, _member_id)


def parse_member_id(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A member id after its label; a repaired payer prefix lowers the parse quality."""
    parsed = _parse_member_id(words, context)
    if parsed is None:
        return None
    printed = re.sub(r"[^A-Za-z]", "", parsed.value.split("-")[0])[:4].upper()
    if str(parsed.normalized).startswith(printed) and printed[:3] in MEMBER_ID_FORMATS:
        return parsed
    return Parsed(parsed.value, parsed.normalized, parsed.words, REPAIRED_ID_QUALITY)


_FULL_MEMBER_ID = re.compile(
    r"(?<![\w-])([A-Z]{3})(-?)\s?([\dOoIlDSBZ|]{1,10})(?:\s([\dOoIlDSBZ|]{2,9}))?(?![\w])"
)


def member_id_anywhere(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A member id in exactly its payer's format, wherever it stands (a table whose header
    OCR lost, a label OCR misspelt): the payer prefix (or one slip from it) and the exact
    digit count make it one."""
    text, spans = joined(words)
    for match in _FULL_MEMBER_ID.finditer(text):
        digits = (match[3] + (match[4] or "")).translate(DIGIT_LOOKALIKES)
        prefix = payer_prefix(match[1], len(digits))
        if prefix is None or not digits.isdigit() or edit_distance(prefix, match[1]) > 1:
            continue
        separator, count = MEMBER_ID_FORMATS[prefix]
        if len(digits) == count and (match[2] == separator or prefix != match[1]):
            used = words_in_span(words, spans, match.start(), match.end())
            quality = 1.0 if prefix == match[1] else REPAIRED_ID_QUALITY
            return Parsed(match[0], f"{prefix}{separator}{digits}", used, quality)
    return None


_PREFIX_LETTERS = str.maketrans(
    {"0": "O", "1": "I", "5": "S", "8": "B", "$": "S", "|": "I", "!": "I"}
)


def _reference(text: str) -> str | None:
    """A reference number; in a short letter prefix before the first dash ("SI-", "PO-"),
    digits and signs OCR put for letters ("$1-044578") are made letters again."""
    cleaned = re.sub(r"\s*[-~]\s*", "-", text.strip(".,;:"))
    if sum(ch.isdigit() for ch in cleaned) < 3:
        return None
    prefix, dash, rest = cleaned.partition("-")
    if (
        dash
        and 2 <= len(prefix) <= 4
        and (prefix[0] == "$" or (prefix[0].isascii() and prefix[0].isalpha()))
    ):
        prefix = prefix.translate(_PREFIX_LETTERS).upper()
        # A payer's own prefix one slip off ("LCG-26-..." for "LCC-26-...").
        near = [code for code in MEMBER_ID_FORMATS if edit_distance(prefix, code) == 1]
        if len(prefix) == 3 and len(near) == 1:
            prefix = near[0]
    return (prefix + dash + rest).upper()


_parse_printed_reference = _regex_parser(
    re.compile(
        r"[A-Za-z][A-Za-z!|]{1,4} ?- ?\d{3,}[\w\-/.]*"
        r"|\$?[A-Za-z0-9][A-Za-z0-9\-~/.]{3,30}[A-Za-z0-9]"
    ),
    _reference,
)
# A capital prefix (a letter inside it OCR may read small: "CuST") and groups of digits with
# a space where a dash belongs ("CUST 45758", "PO-2026 522"): a fax loses the thin stroke of
# a dash first.
_DASHES_LOST = re.compile(r"[A-Z][A-Za-z]{0,3}[A-Z](?:[ -]\d{3,})*(?: \d{3,})(?:[ -]\d{3,})*")
# Quality of a reference whose dashes were put back: never auto-accepted.
DASHES_RESTORED_QUALITY = 0.85


def parse_reference(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A reference number ("SI-044578", "PO-2026-511"); when the value is a capital prefix
    and digit groups apart ("CUST 45758", "PO-2026 522"), the dashes a fax lost are put
    back."""
    text, _ = joined(words)
    bare = text.strip(".,;:[](){}|")  # a cell's border OCR read as a bracket
    if _DASHES_LOST.fullmatch(bare):
        return Parsed(
            text, _reference(bare.replace(" ", "-")) or bare, tuple(words), DASHES_RESTORED_QUALITY
        )
    parsed = _parse_printed_reference(words, context)
    return _with_split_tail(parsed, words) if parsed is not None else None


def _with_split_tail(parsed: Parsed, words: Sequence[OcrWord]) -> Parsed:
    """A reference whose last digits OCR set apart, less than half a letter's height away,
    gets them back: a digit or two ("PO-2026-51 1": a narrow 1 read as a word of its own), or
    more when only then it is a payer's authorization number ("TWM20260531 13978")."""
    last = parsed.words[-1]
    after = [w for w in words if w.bbox.x0 >= last.bbox.x1]
    if not after or not parsed.value[-1:].isdigit():
        return parsed
    tail = min(after, key=lambda w: w.bbox.x0)
    gap = tail.bbox.x0 - last.bbox.x1
    if not tail.text.isdigit() or gap >= 0.5 * (last.bbox.y1 - last.bbox.y0):
        return parsed
    value = parsed.value + tail.text
    normalized = _reference(value) or value
    known = AUTHORIZATION_FORMATS.fullmatch(normalized) is not None
    if len(tail.text) > 2 and not known:
        return parsed
    return Parsed(value, normalized, (*parsed.words, tail), parsed.quality)


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
    leading = previous.text.strip().lstrip("€$£")  # "€1 522.08": the symbol opens the amount
    if gap >= 0.9 * height:
        return False
    if re.fullmatch(r"\d[\d,.]*[.,]", leading):  # "254. 99": fax OCR split it after the point
        return bool(re.fullmatch(r"\d{2}\)?", word.text.strip()))
    return (
        leading.isdigit()
        and len(leading) <= 3
        and bool(re.fullmatch(r"\d{3}([.,]\d{2})?", word.text.strip(" €$£")))
    )


def _is_currency(text: str) -> bool:
    return text.strip() in {"$", "€", "£", "EUR", "USD", "GBP", "CHF"}


def parse_text(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    text = " ".join(w.text for w in words).strip(" :;,")
    if not any(ch.isalpha() for ch in text):
        return None
    return Parsed(text, text, tuple(words))


# A stray mark OCR puts before a name: dust read as a dot, a quote mark, a bullet.
_STRAY_MARK = re.compile(r"^[\s.,:;'\"“”‘’*•·~_°º-]+")


# Words that make a name an organisation's (the facility that renders a service).
ORGANISATION_WORDS = frozenset(
    {
        "lab", "laboratory", "center", "centre", "clinic", "hospital", "imaging", "radiology",
        "surgery", "medical", "pharmacy", "supply", "infusion", "diagnostics", "genomics",
        "institute", "services", "rehabilitation", "therapy", "associates",
    }
)  # fmt: skip
# The words of five letters or more that facilities' names are made of: what a word of an
# organisation's name one OCR slip away from ("Inaging", "Centor", "Suppty") is put back to.
_NAME_VOCABULARY = ORGANISATION_WORDS | frozenset(
    {
        "ambulatory", "cardiology", "community", "dialysis", "durable", "equipment",
        "family", "general", "health", "internal", "medicine", "memorial",
        "molecular", "neurology", "oncology", "orthopedics", "outpatient", "partners",
        "physical", "primary", "pulmonary", "regional", "rehab", "respiratory",
        "rheumatology", "specialty", "suites", "surgical", "university", "wellness",
        "valley", "ridge", "heights", "creek", "river", "mountain", "hills", "county",
        "north", "south", "central",
    }
)  # fmt: skip


def _mended_name_word(word: str) -> str:
    core = word.rstrip(".,;:")
    if len(core) < 5 or not core.isalpha() or core.lower() in _NAME_VOCABULARY:
        return word
    near = [known for known in _NAME_VOCABULARY if len(known) >= 5 and close(core.lower(), known)]
    if len(near) != 1:
        return word
    return near[0].title() + word[len(core) :]


def parse_name_text(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """An organisation's name: free text, with OCR's slips mended word by word (I for l; a
    word one slip from a word facilities' names are made of)."""
    parsed = parse_text(words, context)
    if parsed is None:
        return None
    printed = _STRAY_MARK.sub("", parsed.value)
    mended = " ".join(_mended_name_word(fix_name_word(w)) for w in printed.split())
    mended = mended.rstrip(".,;:”’\"'")
    if sum(ch.isalpha() for ch in mended) < 3:
        return None  # no organisation is named in two letters: what OCR made of a speck
    return Parsed(parsed.value, mended, parsed.words, parsed.quality)


def parse_person(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
    """A person: "Jane Doe", "Doe, Jane", "DOE, JANE" or "Dr. Jane Doe, MD" → "Jane Doe".

    A name ends before the next caption OCR ran into it ("Jane Doe DOG: 1969-11-25").
    """
    start = 0
    while len(words) - start > 2 and _is_smudge(words[start]):
        start += 1  # a caption's dot leaders OCR read as "oe" before "Trialby, Joseph"
    words = words[start:]
    end = next((i for i, w in enumerate(words) if i and w.text.endswith(":")), len(words))
    parsed = parse_text(words[:end], context)
    if parsed is None:
        return None
    name = person_name(parsed.value)
    if not any(ch.isalpha() for ch in name):
        return None  # only a title or credential ("Dr.", "MD"): no name at all
    # One word is no full name; nor is a line OCR made up, every word of it a guess.
    whole = len(name.split()) >= 2 and any(w.confidence >= GUESS_CONFIDENCE for w in parsed.words)
    return Parsed(parsed.value, name, parsed.words, 1.0 if whole else PART_NAME_QUALITY)


# Quality of a name that is one word, or that OCR guessed at every word of.
PART_NAME_QUALITY = 0.6
GUESS_CONFIDENCE = 30.0
# A word of one or two characters OCR is this unsure of is a smudge, not part of a name.
SMUDGE_CONFIDENCE = 40.0


def _is_smudge(word: OcrWord) -> bool:
    return len(word.text) <= 2 and word.confidence < SMUDGE_CONFIDENCE


def fix_name_word(word: str) -> str:
    """OCR reads a capital I as l, |, ! or ( at the start of a name ("lpsumford")."""
    if len(word) > 2 and word[0] in "l|1!{[(\\" and word[1].islower() and word[1] not in "aeiouy":
        return "I" + word[1:]
    return word


def _capitalized(word: str) -> str:
    """A person's name starts with a capital; fax OCR sometimes reads it small ("imitato")."""
    return (
        word[0].upper() + word[1:] if len(word) > 2 and word.isalpha() and word.islower() else word
    )


def person_name(printed: str) -> str:
    # "DOE. JANE": fax OCR reads the comma of "Last, First" as a full stop.
    printed = _STRAY_MARK.sub("", printed.strip())
    printed = re.sub(r"^(Or|0r)\. ", "Dr. ", printed)  # fax OCR's "Dr."
    if re.match(r"(Or|0r) \S+ \S+", printed) and norm_word(printed.split()[-1]) in _CREDENTIALS:
        printed = "Dr. " + printed[3:]  # "Or Jane Doe, MD": a credential vouches for the title
    printed = re.sub(r"^([A-Za-z'\-]{3,})\. ([A-Za-z])", r"\1, \2", printed)
    parts = [p.strip(" .:") for p in printed.replace(";", ",").split(",") if p.strip(" .:")]
    parts = [p for p in parts if norm_word(p) not in _CREDENTIALS]
    if len(parts) >= 2 and len(parts[0].split()) == 1:
        parts = [parts[1], parts[0]]  # "Doe, Jane" → "Jane Doe"
    tokens = " ".join(parts).split()
    tokens = [t for t in tokens if norm_word(t) not in {"dr", "mr", "mrs", "ms"} | _CREDENTIALS]
    if len(tokens) >= 3 and _misread_credential(tokens[-1]):
        tokens = tokens[:-1]
    name = " ".join(_capitalized(fix_name_word(t)) for t in tokens).rstrip(".,;:")
    return name.title() if name.isupper() else name


# A credential's letters as fax OCR misreads them after a name: a D whose curve broke ("MB"),
# an O read as a zero ("D0").
_CREDENTIAL_SLIPS = str.maketrans({"B": "D", "0": "O"})


def _misread_credential(token: str) -> bool:
    """Is a name's last word, in capitals, a credential with one of those slips?"""
    letters = token.strip(".,;:")
    mended = norm_word(letters.translate(_CREDENTIAL_SLIPS))
    return letters.isupper() and 2 <= len(letters) <= 4 and mended in _CREDENTIALS


def norm_word(text: str) -> str:
    return re.sub(r"[^a-z\-]", "", text.lower())
