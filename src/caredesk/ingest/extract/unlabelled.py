"""Values found by their own shape when OCR lost their label: NPIs by check digit, the
provider printed beside one, and a patient printed "SURNAME, GIVEN"."""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterator

from caredesk.domain.codes import npi_is_valid
from caredesk.domain.documents import OcrWord
from caredesk.ingest.extract.engine import CONTEXT_WORDS, Candidate, DocumentView, is_text
from caredesk.ingest.extract.layout import Row, close, gap_split, inked, norm_token
from caredesk.ingest.extract.parsers import (
    ORGANISATION_WORDS,
    Parsed,
    parse_date_value,
    parse_name_text,
    parse_person,
)

# Found by shape and section, not by a label: never auto-accepted.
UNLABELLED_NPI_SCORE = 0.8
_NPI_WORD = re.compile(r"\d{10}")
_LOOKBACK_ROWS = 3
CLINICIAN_CREDENTIALS = frozenset({"md", "do", "np", "pa-c", "dpm", "fnp", "aprn"})


def npis_by_section(
    view: DocumentView, owners: dict[str, str], taken: Collection[str]
) -> dict[str, Candidate]:
    """For each owner ("ordering" → field name) still without an NPI: the one ten-digit
    number passing the NPI check digit whose row, or the rows just above it, name that owner
    ("Referring Provider ... / NOI # 1705171076")."""
    found: dict[str, list[Candidate]] = {}
    for row, index, npi in _npis(view, taken):
        owner = _owner(view, row, index)
        if owner in owners:
            found.setdefault(owners[owner], []).append(
                Candidate(owners[owner], npi, row.page, UNLABELLED_NPI_SCORE)
            )
    return {name: hits[0] for name, hits in found.items() if len(hits) == 1}


def _npis(view: DocumentView, taken: Collection[str]) -> Iterator[tuple[Row, int, Parsed]]:
    """Every ten-digit number passing the NPI check digit and not yet taken: its row, its
    index on the row, and the number parsed."""
    for row in view.rows:
        for index, word in enumerate(row.words):
            number = word.text.strip(".,;:|")
            if _NPI_WORD.fullmatch(number) and number not in taken and npi_is_valid(number):
                yield row, index, Parsed(word.text, number, (word,))


def _left_of(row: Row, index: int) -> list[OcrWord]:
    """The words before `index` on the row, without marks OCR made of rules."""
    return [w for w in row.words[:index] if inked(w)]


def _owner(view: DocumentView, row: Row, index: int) -> str | None:
    """The one kind of party (ordering, rendering, patient) named left of the number on its
    row, else on the nearest of the few rows above that names exactly one. A clinician or a
    facility printed beside the number names it first ("Placeholder Physical Therapy" is a
    facility, though "physical" is one slip from "physician")."""
    tokens = [norm_token(w.text) for w in _left_of(row, index)]
    beside = _provider_kind(tokens)
    if beside is not None:
        return beside
    left = _owners_in(tokens)
    if left:
        return left[-1]
    rows = view.page_rows(row.page)
    for above in reversed(rows[max(0, row.index - _LOOKBACK_ROWS) : row.index]):
        named = set(_owners_in([norm_token(w.text) for w in above.words]))
        if len(named) == 1:
            return named.pop()
        if named:
            return None
    return None


def _owners_in(tokens: list[str]) -> list[str]:
    return [
        owner
        for token in tokens
        for owner, words in CONTEXT_WORDS.items()
        if token and any(close(token, word) for word in words)
    ]


def providers_beside_npis(view: DocumentView, taken: Collection[str]) -> dict[str, Candidate]:
    """Rows "<name> <NPI>" whose captions OCR lost: a clinician ("Dr. …", "…, MD") is the
    ordering provider and an organisation ("… Sleep Lab") the rendering one, name and NPI
    both; each only when the document has exactly one such row of its kind. A number alone
    on its row has its name on the row above, in the same column."""
    found: dict[str, list[tuple[int, Parsed, Parsed]]] = {"ordering": [], "rendering": []}
    for row, index, npi in _npis(view, taken):
        left = _named_beside(view, row, index)
        kind = _provider_kind([norm_token(w.text) for w in left])
        parse = parse_person if kind == "ordering" else parse_name_text
        name = parse(left, view.dates) if kind else None
        if kind and name is not None:
            found[kind].append((row.page, name, npi))
    out: dict[str, Candidate] = {}
    for kind, rows in found.items():
        if len(rows) == 1:
            page, name, npi = rows[0]
            fields = [(f"{kind}_provider_npi", npi)]
            if name.quality >= 1.0:  # a lone surname ("Roplicant, NP") names no one for sure
                fields.append((f"{kind}_provider_name", name))
            for field, parsed in fields:
                out[field] = Candidate(field, parsed, page, UNLABELLED_NPI_SCORE)
    return out


def names_beside_known_npis(view: DocumentView, npis: dict[str, Parsed]) -> dict[str, Candidate]:
    """For an NPI already read under its caption ("rendering" → the number), the provider
    printed beside it or just above it, when the name's caption was lost."""
    out: dict[str, Candidate] = {}
    for kind, npi in npis.items():
        spots = [
            (row, index)
            for row in view.rows
            for index, word in enumerate(row.words)
            if word.text.strip(".,;:|") == str(npi.normalized)
        ]
        if len(spots) != 1:
            continue
        row, index = spots[0]
        left = _named_beside(view, row, index)
        if _provider_kind([norm_token(w.text) for w in left]) != kind:
            continue
        parse = parse_person if kind == "ordering" else parse_name_text
        name = parse(left, view.dates)
        if name is not None and name.quality >= 1.0:
            field = f"{kind}_provider_name"
            out[field] = Candidate(field, name, row.page, UNLABELLED_NPI_SCORE)
    return out


def _named_beside(view: DocumentView, row: Row, index: int) -> list[OcrWord]:
    """The words naming whoever an NPI at `index` belongs to: the run of words just left of
    it, else (a number alone on its row, or alone in its column beside a caption OCR did
    not make out) the run on the row above that starts nearest it."""
    number = row.words[index]
    left = _left_of(row, index)
    if left:
        run = gap_split(left)[-1]
        apart = number.bbox.x0 - run[-1].bbox.x1 > 1.6 * row.height
        if not apart or _provider_kind([norm_token(w.text) for w in run]) is not None:
            return run
    inked_above = [r for r in view.page_rows(row.page)[: row.index] if any(map(inked, r.words))]
    if not inked_above:
        return []
    above = inked_above[-1]  # OCR's specks of dust between the rows are no row
    if row.top - above.bottom > 2 * max(row.height, above.height):
        return []
    runs = [run for run in gap_split([w for w in above.words if inked(w)]) if run]
    return min(runs, key=lambda run: abs(run[0].bbox.x0 - number.bbox.x0), default=[])


def owner_beside(view: DocumentView, word: OcrWord) -> str | None:
    """ "ordering" or "rendering" when the words left of `word` on its row name a clinician
    or an organisation, else None."""
    row = next((row for row in view.rows if word in row.words), None)
    if row is None:
        return None
    left = _left_of(row, row.words.index(word))
    return _provider_kind([norm_token(w.text) for w in left])


def _provider_kind(tokens: list[str]) -> str | None:
    if len(tokens) < 2:
        return None
    if tokens[0] == "dr" or tokens[-1] in CLINICIAN_CREDENTIALS:
        return "ordering"
    return "rendering" if ORGANISATION_WORDS.intersection(tokens) else None


# "DOE, JANE" (fax OCR often reads the comma as a full stop), with a middle initial or not.
_SURNAME = re.compile(r"[A-Z][A-Z'\-]{2,}[,.]")
_GIVEN = re.compile(r"[A-Z][A-Z'\-]{2,}[,.]?")
_NOT_NAMES = frozenset(
    {
        "section", "member", "patient", "provider", "information", "request", "review",
        "services", "service", "requested", "diagnosis", "clinical", "attachments", "type",
        "facility", "plan", "health", "care", "notice", "determination", "decision", "page",
        "fax", "phone", "date", "urgent", "standard", "expedited", "approved", "denied",
        "pended", "usa",
    }
)  # fmt: skip
UNLABELLED_PATIENT_SCORE = 0.8


def patient_by_shape(view: DocumentView) -> Candidate | None:
    """The patient, when OCR lost the caption: forms and letters print the patient, and only
    the patient, in capitals surname first ("MOCKRIDGE, CONNIE"); clinicians carry a title
    or a credential, facilities no comma. Only when the document prints one such name, and
    every page reads it alike."""
    found: dict[str, Candidate] = {}
    for row in view.rows:
        for first, second in itertools.pairwise(row.words):
            if not (_SURNAME.fullmatch(first.text) and _GIVEN.fullmatch(second.text)):
                continue
            if {norm_token(first.text), norm_token(second.text)} & _NOT_NAMES:
                continue
            parsed = parse_person([first, second], view.dates)
            if parsed is not None and parsed.quality >= 1.0:
                key = str(parsed.normalized).lower()
                found.setdefault(
                    key, Candidate("patient_name", parsed, row.page, UNLABELLED_PATIENT_SCORE)
                )
    return next(iter(found.values())) if len(found) == 1 else None


def add_patient_by_shape(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """The patient by shape, for a document whose captions gave no full name; it replaces a
    lone word read under a caption ("Name a")."""
    if any(c.parsed.quality >= 1.0 for c in candidates.get("patient_name", [])):
        return
    found = patient_by_shape(view)
    if found is not None:
        candidates["patient_name"] = [found]


UNLABELLED_DATE_SCORE = 0.75


def service_date_below(view: DocumentView, page: int, below: float) -> Candidate | None:
    """The date of service of a form whose "Requested start date" caption OCR lost: the one
    row under the requested services (below `below` on their page) that holds a date and
    nothing else."""
    found = []
    for row in view.page_rows(page):
        if row.top <= below:
            continue
        words = [w for w in row.words if inked(w)]
        parsed = parse_date_value(words, view.dates) if words else None
        if parsed is not None and len(parsed.words) == len(words):
            found.append(Candidate("date_of_service", parsed, page, UNLABELLED_DATE_SCORE))
    return found[0] if len(found) == 1 else None


# Rows under a section heading searched for the facility it is about, and the mean OCR
# confidence a name found there without its caption needs ("Peample Haight." reads at 45).
_SECTION_ROWS = 3
_CLEAR_READING = 60.0


def facility_under_section(view: DocumentView) -> Candidate | None:
    """The facility of a form whose "Name" caption and NPI OCR garbled ("tame fy"): the first
    organisation's name on the few rows under the one heading in capitals that names the
    rendering side ("3. SERVICING PROVIDER / FACILITY")."""
    found: list[Candidate] = []
    rendering = CONTEXT_WORDS["rendering"]
    others = frozenset().union(*(w for k, w in CONTEXT_WORDS.items() if k != "rendering"))
    for page in dict.fromkeys(row.page for row in view.rows):
        rows = [row for row in view.page_rows(page) if is_text(row)]
        for index, row in enumerate(rows):
            letters = "".join(ch for w in row.words for ch in w.text if ch.isalpha())
            tokens = {norm_token(w.text) for w in row.words}
            if not letters.isupper() or not tokens & rendering or tokens & others:
                continue
            for below in rows[index + 1 : index + 1 + _SECTION_ROWS]:
                run = gap_split([w for w in below.words if inked(w)])[0]
                sure = sum(w.confidence for w in run) / len(run) >= _CLEAR_READING
                if sure and _provider_kind([norm_token(w.text) for w in run]) == "rendering":
                    parsed = parse_name_text(run, view.dates)
                    if parsed is not None:
                        found.append(Candidate("rendering_provider_name", parsed, page, 0.75))
                    break
    return found[0] if len(found) == 1 else None
