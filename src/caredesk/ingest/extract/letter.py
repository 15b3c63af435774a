"""Payer letters: decision, reference number, dates, denial reason, requested items, member."""

from __future__ import annotations

import re
from itertools import pairwise

from caredesk.domain.documents import ExtractedField, OcrWord
from caredesk.ingest.extract.engine import (
    Candidate,
    DocumentView,
    best_field,
    label_score,
    member_id_in_rows,
    read_label,
)
from caredesk.ingest.extract.layout import Row, close, norm_token
from caredesk.ingest.extract.parsers import (
    AUTHORIZATION_FORMATS,
    Parsed,
    Parser,
    joined,
    parse_date_value,
    parse_member_id,
    parse_person,
    parse_reference,
    parse_text,
    words_in_span,
)
from caredesk.ingest.extract.payers import MISSPELT_PAYER_QUALITY, payer_id, payer_misspelt
from caredesk.ingest.extract.unlabelled import add_patient_by_shape

EXTRACTOR = "payer-letter-layout-v1"

FIELDS: dict[str, tuple[tuple[str, ...], Parser]] = {
    "patient_name": (("Member Name", "Patient Name", "Member", "Patient", "Name"), parse_person),
    "member_id": (
        ("Member ID", "Subscriber #", "Insurance ID", "Member No.", "ID #", "Subscriber ID"),
        parse_member_id,
    ),
    "reference_number": (
        (
            "Reference #",
            "Authorization number",
            "Case #",
            "Auth #",
            "Reference number",
            "Authorization #",
            "Reference No.",
        ),
        parse_reference,
    ),
    "letter_date": (("Date", "Notice date", "Letter date", "Date of notice"), parse_date_value),
    "decision_date": (
        ("Decision date", "Determination date", "Date of decision"),
        parse_date_value,
    ),
}
DECISION_LABELS = ("STATUS", "Determination", "Decision", "RE", "Outcome")
REASON_LABELS = ("Reason for denial", "Denial reason", "Reason")
OTHER_LABELS = ("Service", "Requested service", "Item", "Detail", "Plan", "Phone", "Fax")
PHRASES = tuple(
    phrase
    for group in (*(p for p, _ in FIELDS.values()), DECISION_LABELS, REASON_LABELS, OTHER_LABELS)
    for phrase in group
)
# Order matters: "not approved" is a denial, "additional information" outranks "pending".
DECISION_WORDS: tuple[tuple[str, str], ...] = (
    (
        r"additional information|information requested|need the following information|"
        r"request for information",
        "request_for_information",
    ),
    (r"\bden(y|ied|ial)\b|adverse determination|not approved", "denied"),
    (r"\bpend(ed|ing)\b|under review", "pended"),
    (r"\bapprov(ed|al)\b|authorized", "approved"),
)
# "valid" as fax OCR may read it ("vaiid"): close() judges the word.
_VALIDITY = re.compile(
    r"(?P<valid>\S{4,6}) from (?P<start>.+?) (through|to|until) (?P<end>.+?)\.(\s|$)",
    re.IGNORECASE,
)


def extract_letter(view: DocumentView) -> dict[str, ExtractedField]:
    candidates: dict[str, list[Candidate]] = {}
    for name, (phrases, parser) in FIELDS.items():
        for hit in view.hits_for(phrases):
            parsed = read_label(view, hit, parser)
            if parsed is not None and parsed.words:
                score = label_score(hit) * (
                    0.9 if hit.phrase == "Date" and name == "letter_date" else 1.0
                )
                candidates.setdefault(name, []).append(Candidate(name, parsed, hit.row.page, score))
    if "member_id" not in candidates:
        found = member_id_in_rows(view)
        if found is not None:
            candidates["member_id"] = [found]
    add_patient_by_shape(view, candidates)
    if "reference_number" not in candidates:
        found = _reference_by_format(view)
        if found is not None:
            candidates["reference_number"] = [found]
    fields = {
        name: found
        for name, found in (
            (n, best_field(view.document_id, c, EXTRACTOR)) for n, c in candidates.items()
        )
        if found is not None
    }
    for extra in (_payer(view), _decision(view), _denial_reason(view), _requested_items(view)):
        if extra is not None:
            fields[extra.name] = extra
    fields.update(_validity(view))
    return fields


# How each payer of the shared world numbers its authorizations: a number in exactly one of
# these shapes is the letter's reference even where OCR garbled its caption.
_REFERENCE_FORMATS = re.compile(rf"(?<![\w-])({AUTHORIZATION_FORMATS.pattern})(?![\w-])")
# A reference found by its shape alone: never auto-accepted.
REFERENCE_BY_FORMAT_SCORE = 0.8


def _reference_by_format(view: DocumentView) -> Candidate | None:
    """The one authorization number on the letter printed in its payer's exact format."""
    found: dict[str, Candidate] = {}
    for row in view.rows:
        text, spans = joined(row.words)
        for match in _REFERENCE_FORMATS.finditer(text):
            words = words_in_span(row.words, spans, match.start(), match.end())
            parsed = Parsed(match[0], match[0], words, 1.0)
            score = REFERENCE_BY_FORMAT_SCORE
            found.setdefault(match[0], Candidate("reference_number", parsed, row.page, score))
    return next(iter(found.values())) if len(found) == 1 else None


def _single(
    view: DocumentView, name: str, parsed: Parsed, page: int, score: float
) -> ExtractedField | None:
    return best_field(view.document_id, [Candidate(name, parsed, page, score)], EXTRACTOR)


def _payer(view: DocumentView) -> ExtractedField | None:
    """The payer is whoever's letterhead this is: the first rows naming one, else the first
    spelling one within two OCR slips ("umbleweed Mutual"), which is never auto-accepted."""
    head = view.rows[:8]
    for row in head:
        found = payer_id(row.text)
        if found is not None:
            return _single(view, "payer", Parsed(row.text, found, row.words, 1.0), row.page, 1.0)
    for row in head:
        found = payer_misspelt(row.text)
        if found is not None:
            parsed = Parsed(row.text, found, row.words, MISSPELT_PAYER_QUALITY)
            return _single(view, "payer", parsed, row.page, 1.0)
    return None


def _decision(view: DocumentView) -> ExtractedField | None:
    """From a status line if there is one ("STATUS: DENIED"), else from the body's wording."""
    for hit in view.hits_for(DECISION_LABELS):
        words = view.value_right(hit) or view.value_below(hit)
        found = _decision_in(words)
        if found is not None:
            return _single(view, "decision", found, hit.row.page, label_score(hit))
    for row in view.rows:
        found = _decision_in(list(row.words))
        if found is not None:
            return _single(view, "decision", found, row.page, 0.85)
    return None


def _decision_in(words: list[OcrWord]) -> Parsed | None:
    text, spans = joined(words)
    for pattern, decision in DECISION_WORDS:
        match = re.search(pattern, text, re.IGNORECASE)
        if match is not None:
            used = words_in_span(words, spans, match.start(), match.end())
            return Parsed(match.group(0), decision, used, 1.0)
    return None


def _denial_reason(view: DocumentView) -> ExtractedField | None:
    for hit in view.hits_for(REASON_LABELS):
        words = view.value_right(hit) + _continuation(view, hit.row)
        parsed = parse_text(words, view.dates) if words else None
        if parsed is not None:
            return _single(view, "denial_reason", parsed, hit.row.page, 0.95)
    return None


def _continuation(view: DocumentView, start: Row) -> list[OcrWord]:
    """Lines that continue a wrapped sentence: tight line spacing, no new paragraph."""
    rows = view.page_rows(start.page)
    words: list[OcrWord] = []
    previous = start
    for row in rows[start.index + 1 :]:
        if row.bottom - previous.bottom > 1.6 * max(previous.height, row.height):
            break
        if view.row_hits(row) and view.row_hits(row)[0].start == 0:
            break
        words.extend(row.words)
        previous = row
    return words


def _requested_items(view: DocumentView) -> ExtractedField | None:
    """The bullet list under "We need the following information ...:"."""
    for row in view.rows:
        if not _asks_for_information(row):
            continue
        items: list[str] = []
        used: list[OcrWord] = []
        rows = view.page_rows(row.page)
        sentence_end = next(
            (r for r in rows[row.index : row.index + 4] if r.text.rstrip().endswith(":")), row
        )
        previous = sentence_end
        for below in rows[sentence_end.index + 1 :]:
            # The list may stand a blank line below its sentence; its items follow closely.
            allowed = (2.2 if items else 3.5) * below.height
            if below.bottom - previous.bottom > allowed:
                break
            words = [w for w in below.words if norm_token(w.text) not in ("", "•")]
            if not words:
                break
            while words and not words[0].text[:1].isalnum():
                words = words[1:]  # the bullet, as OCR reads it: "•", "¢", "«", "°"
            if not words:
                continue
            items.append(_acronyms_mended(" ".join(w.text for w in words)))
            used.extend(words)
            previous = below
        if items:
            parsed = Parsed(" ; ".join(items), list(items), tuple(used), 1.0)
            return _single(view, "requested_items", parsed, row.page, 0.95)
    return None


def _asks_for_information(row: Row) -> bool:
    """ "We need the following information ...", with an OCR slip or two forgiven."""
    tokens = [norm_token(w.text) for w in row.words]
    return any(
        close(first, "following") and close(second, "information")
        for first, second in pairwise(tokens)
    )


def _acronyms_mended(text: str) -> str:
    """Fax OCR reads the I closing a capitalised acronym as "!" ("AH!" for "AHI")."""
    return re.sub(r"\b([A-Z]{2,})!(?=\W|$)", r"\1I", text)


def _validity(view: DocumentView) -> dict[str, ExtractedField]:
    """ "The authorization is valid from 03/01/2026 through 05/29/2026." """
    rows = view.rows
    for index, row in enumerate(rows):
        window = [w for r in rows[index : index + 3] if r.page == row.page for w in r.words]
        text, spans = joined(window)
        row_end = spans[len(row.words) - 1][1]
        match = next(
            (
                m
                for m in _VALIDITY.finditer(text)
                if m.start() < row_end and close(norm_token(m["valid"]), "valid")
            ),
            None,
        )
        if match is None:
            continue
        out: dict[str, ExtractedField] = {}
        for name, group in (("valid_from", "start"), ("valid_through", "end")):
            words = list(words_in_span(window, spans, match.start(group), match.end(group)))
            parsed = parse_date_value(words, view.dates)
            if parsed is not None:
                field = _single(view, name, parsed, row.page, 0.95)
                if field is not None:
                    out[name] = field
        return out
    return {}
