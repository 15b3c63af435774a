"""Find values by layout: a label, then its value to the right or below; sections give context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from caredesk.domain.documents import ExtractedField, OcrWord, PageResult
from caredesk.ingest.extract.layout import (
    LabelHit,
    LabelIndex,
    Row,
    close,
    evidence_for,
    gap_split,
    inked,
    is_leader,
    norm_token,
    rows_of,
)
from caredesk.ingest.extract.parsers import Parsed, Parser, member_id_anywhere, parse_date_value
from caredesk.ingest.extract.values import DateContext, currency_in, day_first_evidence

CONTEXT_WORDS: dict[str, frozenset[str]] = {
    "ordering": frozenset({"ordering", "referring", "requesting", "physician", "prescriber"}),
    "rendering": frozenset({"rendering", "servicing", "facility", "perform", "performing"}),
    "patient": frozenset({"patient", "member", "subscriber", "re"}),
}
# Captions only a patient's details carry: a "Name" beside one names the patient.
_PATIENT_ONLY = frozenset({"DOB", "Date of Birth", "Birth Date", "D.O.B.", "Sex", "Gender"})
# One-word labels that also occur as ordinary words in prose and headings.
GENERIC_WORDS = frozenset(
    {
        "Patient",
        "Member",
        "Name",
        "Plan",
        "Code",
        "Facility",
        "Insurance",
        "Product",
        "Payer",
        "RE",
        "Units",
        "Qty",
        "Quantity",
        "Date",
        "Priority",
        "Urgency",
        "CPT",
        "Account",
        "Reference",
        "Decision",
        "Status",
        "Description",
        "Net",
        "Tax",
        "Item",
        "Service",
        "Reason",
    }
)
_DAY_FIRST_CURRENCIES = frozenset({"EUR", "GBP", "CHF"})


@dataclass(frozen=True)
class Candidate:
    """One reading of a field: the parsed value, how it was found, and where."""

    field: str
    parsed: Parsed
    page: int
    label_score: float


@dataclass
class DocumentView:
    """A document's rows and labels, shared by every extractor that reads it."""

    document_id: str
    pages: Sequence[PageResult]
    labels: LabelIndex
    rows: list[Row] = field(init=False)
    hits: list[LabelHit] = field(init=False)
    dates: DateContext = field(init=False)

    def __post_init__(self) -> None:
        self.rows = [row for page in self.pages for row in rows_of(page)]
        self.hits = self.labels.find(self.rows)
        self.dates = DateContext(day_first=_page_day_first(self.rows))
        self._hits_by_row: dict[tuple[int, int], list[LabelHit]] = {}
        for hit in self.hits:
            self._hits_by_row.setdefault((hit.row.page, hit.row.index), []).append(hit)

    def hits_for(self, phrases: Iterable[str]) -> list[LabelHit]:
        """Hits of these phrases; a bare one-word label must stand apart from its value."""
        wanted = set(phrases)
        return [
            hit
            for hit in self.hits
            if hit.phrase in wanted and (hit.alone or hit.phrase not in GENERIC_WORDS)
        ]

    def row_hits(self, row: Row) -> list[LabelHit]:
        return self._hits_by_row.get((row.page, row.index), [])

    def page_rows(self, page: int) -> list[Row]:
        return [row for row in self.rows if row.page == page]

    def value_right(self, hit: LabelHit) -> list[OcrWord]:
        """Words after the label on its row, up to the next label."""
        stop = min((h.x0 for h in self.row_hits(hit.row) if h.x0 > hit.x0), default=1e9)
        return [w for w in hit.row.words[hit.end :] if w.bbox.x0 < stop - 1]

    def value_below(self, hit: LabelHit, max_rows: int = 2) -> list[OcrWord]:
        """Words under the label (a boxed cell or a table header), up to the next column."""
        rows = self.page_rows(hit.row.page)
        neighbours = [h.x0 for h in self.row_hits(hit.row) if h.x0 > hit.x0]
        right = min(neighbours, default=1e9) - 2
        left = hit.x0 - 2.5 * hit.height
        for row in rows[hit.row.index + 1 : hit.row.index + 1 + max_rows]:
            if row.top - hit.row.bottom > 5 * hit.height:
                return []
            if any(h.start == 0 or left <= h.x0 < right for h in self.row_hits(row)):
                return []  # the next row of captions: this cell is empty
            words = [w for w in row.words if w.bbox.x0 >= left and w.bbox.x0 < right]
            if any(map(inked, words)):  # not only the marks OCR made of the cell's borders
                return gap_split(words, factor=3.0)[0]
        return []

    def context_of(self, hit: LabelHit, lookback: int = 8) -> str | None:
        """Whose field an ambiguous label ("Name", "NPI") belongs to: the label's own words,
        a label to its left on the row, else the nearest section heading above."""
        own = _context_in([norm_token(w.text) for w in hit.row.words[hit.start : hit.end]])
        if own:
            return own
        # The nearest label to the left names the owner ("Servicing Facility: ... NPI:")
        # before any stray word of the value does ("Physical Therapy" is not "physician").
        for left_hit in sorted(self.row_hits(hit.row), key=lambda h: -h.start):
            if left_hit.end <= hit.start:
                words = hit.row.words[left_hit.start : left_hit.end]
                found = _context_in([norm_token(w.text) for w in words])
                if found:
                    return found
        left = [norm_token(w.text) for w in hit.row.words[: hit.start]]
        found = _context_in(left)
        if found:
            return found
        # A table header "Name | DOB | Sex": only a patient has a birth date and a sex.
        if any(h.start >= hit.end and h.phrase in _PATIENT_ONLY for h in self.row_hits(hit.row)):
            return "patient"
        # The rows above, specks of dust not counted: a fax scatters them between lines.
        above = [row for row in self.page_rows(hit.row.page)[: hit.row.index] if is_text(row)]
        for row in reversed(above[-lookback:]):
            found = _context_in([norm_token(w.text) for w in row.words], unique=True)
            if found:
                return found
        return None


# A row whose every word OCR read under this is noise (specks, a smudge), not a line of text.
NOISE_CONFIDENCE = 10.0


def is_text(row: Row) -> bool:
    """Does the row hold a word, not only specks of dust ("©", ".") or noise OCR made up?"""
    return any(inked(w) and w.confidence >= NOISE_CONFIDENCE for w in row.words)


def is_stray(row: Row) -> bool:
    """A row of noise or a lone mark ("T", "NBO" off a stroke or a rule), no line of text."""
    return not is_text(row) or sum(ch.isalnum() for ch in row.text) <= 3


def paragraph_after(view: DocumentView, start: Row, x_min: float) -> list[Row]:
    """Rows of the paragraph that follows `start`: evenly spaced lines, until the spacing
    jumps, a labelled row begins, or the page ends."""
    rows = view.page_rows(start.page)
    taken: list[Row] = []
    previous, pitch = start, 0.0
    for row in rows[start.index + 1 :]:
        if not is_text(row):
            continue  # specks OCR read as "©" or "SS" (confidence 0) between two lines
        if taken and row.words[0].bbox.x0 > taken[0].words[0].bbox.x0 + 1.5 * row.height:
            break  # an indented line: a bullet list or a new block, not this paragraph
        # OCR boxes hug the letters, so a line without capitals or descenders looks short,
        # and a word read across a skewed line looks tall: take the steadier of the two steps.
        step = min(row.bottom - previous.bottom, row.top - previous.top)
        # The first step crosses a section bar's padding, which fax deskewing stretches.
        if step > (1.35 * pitch if pitch else 3.5 * max(row.height, start.height)):
            break
        if any(h.start == 0 and h.colon for h in view.row_hits(row)):
            break
        words = [w for w in row.words if w.bbox.x0 >= x_min]
        if not words:
            break
        if taken:  # the caption-to-text step says nothing about the paragraph's line pitch
            pitch = min(pitch, step) if pitch else step
        taken.append(Row(page=row.page, index=row.index, words=tuple(words)))
        previous = row
    return taken


# A member id found by its format alone, with no label: never auto-accepted.
UNLABELLED_ID_SCORE = 0.85


def member_id_in_rows(view: DocumentView) -> Candidate | None:
    """The one member id printed in its payer's exact format on the document, label or not;
    None when there is none or two different ones."""
    found = [
        (parsed, row.page)
        for row in view.rows
        if (parsed := member_id_anywhere(row.words, view.dates)) is not None
    ]
    if not found or len({str(parsed.normalized) for parsed, _ in found}) > 1:
        return None
    parsed, page = found[0]
    return Candidate("member_id", parsed, page, UNLABELLED_ID_SCORE)


# A birth date found by its age alone: never auto-accepted.
AGED_DATE_SCORE = 0.8
_MIN_AGE_YEARS = 10
_MAX_YEARS_AHEAD = 5


def birth_date_by_age(view: DocumentView) -> Candidate | None:
    """The one date on the document at least ten years before its latest date: on a referral
    or a note that is the patient's birth date, whatever OCR made of its caption."""
    dates: list[tuple[Parsed, int, int]] = []  # the date, its page, its year
    for row in view.rows:
        words = list(row.words)
        while words:
            parsed = parse_date_value(words, view.dates)
            if parsed is None:
                break
            dates.append((parsed, row.page, date.fromisoformat(str(parsed.normalized)).year))
            words = words[words.index(parsed.words[-1]) + 1 :]
    # A date years ahead of today is a misread year ("2076"): it must not make the letter's
    # own date look old enough to be a birth date.
    horizon = view.dates.reference_year + _MAX_YEARS_AHEAD
    plausible = [year for _, _, year in dates if year <= horizon]
    if not plausible:
        return None
    latest = max(plausible)
    old = [(parsed, page) for parsed, page, year in dates if year <= latest - _MIN_AGE_YEARS]
    if len({str(parsed.normalized) for parsed, _ in old}) != 1:
        return None
    parsed, page = old[0]
    return Candidate("date_of_birth", parsed, page, AGED_DATE_SCORE)


def _context_in(tokens: Sequence[str], *, unique: bool = False) -> str | None:
    """The context the nearest context word names; with `unique`, a heading that names two
    ("ORDERING AND SERVICING PROVIDERS") names none."""
    found = [
        context
        for token in reversed(tokens)
        for context, words in CONTEXT_WORDS.items()
        if any(close(token, word) for word in words)
    ]
    if not found or (unique and len(set(found)) > 1):
        return None
    return found[0]


def _page_day_first(rows: Sequence[Row]) -> bool | None:
    """DD/MM when numeric dates on the document prove it, or the money is European."""
    evidence = day_first_evidence([row.text for row in rows])
    if evidence is not None:
        return evidence
    currencies = {currency_in(row.text) for row in rows} - {None}
    if currencies & _DAY_FIRST_CURRENCIES:
        return True
    return None


# A value this many text heights right of a caption without a colon is another cell's.
FAR_RIGHT = 12.0


def read_label(view: DocumentView, hit: LabelHit, parser: Parser) -> Parsed | None:
    """The value of a label: to its right when something follows, else below it.

    Leader dots and stray colons between caption and value are not part of the value.
    """
    parser = _without_leaders(parser)
    right = view.value_right(hit)
    if right and _in_caption_row(view, hit, right):
        # A caption in a row of boxed captions whose neighbour OCR garbled ("Name ...
        # Buth Date ... Sex"): far to its right is the next cell's caption, its value below.
        below = view.value_below(hit)
        parsed = parser(below, view.dates) if below else None
        if parsed is not None:
            return parsed
    if right:
        first_part = gap_split(right, factor=6.0)[0]
        parsed = parser(first_part, view.dates) or parser(right, view.dates)
        if parsed is not None:
            return parsed
        if hit.colon:
            return None
    below = view.value_below(hit)
    return parser(below, view.dates) if below else None


def _in_caption_row(view: DocumentView, hit: LabelHit, right: Sequence[OcrWord]) -> bool:
    """Is `hit` one of a row of captions: no colon, what follows it far off, and another
    caption further along the row? (A form of "Caption    value" lines has no caption
    after its value.)"""
    far = right[0].bbox.x0 - hit.x1 > FAR_RIGHT * hit.height
    return far and not hit.colon and any(h.x0 > right[0].bbox.x0 for h in view.row_hits(hit.row))


def _without_leaders(parser: Parser) -> Parser:
    def parse(words: Sequence[OcrWord], context: DateContext) -> Parsed | None:
        kept = [w for w in words if w.text not in (":", "|", "•") and not is_leader(w.text)]
        return parser(kept, context) if kept else None

    return parse


def labelled_candidates(
    view: DocumentView, fields: Mapping[str, tuple[Sequence[str], Parser]]
) -> dict[str, list[Candidate]]:
    """For each field, one candidate per label of it whose value reads."""
    candidates: dict[str, list[Candidate]] = {}
    for name, (phrases, parser) in fields.items():
        for hit in view.hits_for(phrases):
            parsed = read_label(view, hit, parser)
            if parsed is not None and parsed.words:
                candidates.setdefault(name, []).append(
                    Candidate(name, parsed, hit.row.page, label_score(hit))
                )
    return candidates


def label_score(hit: LabelHit) -> float:
    """Colon-closed labels are unmistakable; a bare word that happens to match is less so,
    and a short caption read with a letter wrong least (never auto-accepted)."""
    if hit.slipped:
        return 0.75
    if hit.colon:
        return 1.0
    return 0.95 if len(hit.phrase.split()) > 1 else 0.9


def confidence_of(candidate: Candidate) -> float:
    """Field confidence from label certainty, parse quality and the OCR confidence of its words.

    OCR confidence enters steeply: a value whose words average under ~90 should not clear an
    auto-accept threshold of 0.90, since a misread digit there goes straight into a packet.
    """
    words = candidate.parsed.words
    ocr = sum(w.confidence for w in words) / len(words) / 100 if words else 0.0
    weakest = min((w.confidence for w in words), default=0.0) / 100
    ocr_factor = min(1.0, max(0.0, (ocr - 0.5) / 0.45)) * min(1.0, 0.6 + weakest)
    return round(candidate.label_score * candidate.parsed.quality * ocr_factor, 4)


def best_field(
    document_id: str, candidates: Sequence[Candidate], extractor: str
) -> ExtractedField | None:
    """Pick the most confident reading; disagreeing readings lower the confidence."""
    if not candidates:
        return None
    ranked = sorted(candidates, key=confidence_of, reverse=True)
    best = ranked[0]
    confidence = confidence_of(best)
    rivals = [c for c in ranked[1:] if c.parsed.normalized != best.parsed.normalized]
    if rivals and confidence_of(rivals[0]) > 0.5 * confidence:
        confidence *= 0.7
    return ExtractedField(
        name=best.field,
        value=best.parsed.value,
        normalized=best.parsed.normalized,
        confidence=min(1.0, confidence),
        evidence=evidence_for(document_id, best.page, best.parsed.words, extractor),
    )
