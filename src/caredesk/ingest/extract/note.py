"""Clinical notes: patient, date of birth, visit date, diagnosis codes, the assessment."""

from __future__ import annotations

from caredesk.domain.documents import ExtractedField, OcrWord
from caredesk.ingest.extract.clinical_codes import icd_codes
from caredesk.ingest.extract.coded import codes_with_words
from caredesk.ingest.extract.engine import (
    Candidate,
    DocumentView,
    best_field,
    birth_date_by_age,
    labelled_candidates,
    paragraph_after,
)
from caredesk.ingest.extract.layout import Row, label_tokens, norm_token
from caredesk.ingest.extract.parsers import (
    Parsed,
    Parser,
    parse_birth_date,
    parse_date_value,
    parse_person,
    parse_text,
)
from caredesk.ingest.extract.unlabelled import add_patient_by_shape

EXTRACTOR = "clinical-note-layout-v1"

FIELDS: dict[str, tuple[tuple[str, ...], Parser]] = {
    "patient_name": (("Patient Name", "Patient", "RE", "Name", "Member Name"), parse_person),
    "date_of_birth": (("DOB", "Date of Birth", "Birth Date", "D.O.B."), parse_birth_date),
    "note_date": (
        (
            "Visit",
            "Encounter date",
            "Date of Service",
            "Visit date",
            "Date of visit",
            "Note date",
            "Seen on",
        ),
        parse_date_value,
    ),
}
ASSESSMENT = ("A", "Assessment", "Impression", "Assessment and Plan", "Assessment/Plan")
OTHER_LABELS = (
    "Provider",
    "MRN",
    "Signed",
    "Electronically signed by",
    "S",
    "O",
    "P",
    "Plan",
    "History",
    "Examination",
    "Recommendations",
    "Chief Complaint",
    "Medications",
)
PHRASES = tuple(
    phrase
    for group in (*(p for p, _ in FIELDS.values()), ASSESSMENT, OTHER_LABELS)
    for phrase in group
)
_ASSESSMENT_TOKENS = [label_tokens(p) for p in ASSESSMENT]


def extract_note(view: DocumentView) -> dict[str, ExtractedField]:
    candidates = labelled_candidates(view, FIELDS)
    _banner_name(view, candidates)
    add_patient_by_shape(view, candidates)
    _first_date(view, candidates)
    if "date_of_birth" not in candidates:
        birth = birth_date_by_age(view)
        if birth is not None:
            candidates["date_of_birth"] = [birth]
    fields = {
        name: found
        for name, found in (
            (n, best_field(view.document_id, c, EXTRACTOR)) for n, c in candidates.items()
        )
        if found is not None
    }
    for extra in (_diagnoses(view), _assessment(view)):
        if extra is not None:
            fields[extra.name] = extra
    return fields


def _banner_name(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """An EHR banner prints "DOE, JANE  DOB: ..." with no label before the name."""
    if "patient_name" in candidates:
        return
    for hit in view.hits_for(FIELDS["date_of_birth"][0]):
        before = list(hit.row.words[: hit.start])
        if 2 <= len(before) <= 4:
            parsed = parse_person(before, view.dates)
            if parsed is not None:
                candidates.setdefault("patient_name", []).append(
                    Candidate("patient_name", parsed, hit.row.page, 0.85)
                )
                return


def _first_date(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """A consultation letter's date line stands alone at the top, under the letterhead."""
    if "note_date" in candidates:
        return
    for row in view.rows[:12]:
        if len(row.words) <= 4:
            parsed = parse_date_value(list(row.words), view.dates)
            if parsed is not None and len(parsed.words) == len(row.words):
                candidates.setdefault("note_date", []).append(
                    Candidate("note_date", parsed, row.page, 0.85)
                )
                return


def _starts_with_code(row: Row) -> bool:
    return bool(row.words) and bool(icd_codes(row.words[0].text))


def _diagnoses(view: DocumentView) -> ExtractedField | None:
    """Coded diagnoses: rows of the assessment that begin with an ICD-10-CM code."""
    codes: list[str] = []
    used: list[OcrWord] = []
    page = 0
    for row in view.rows:
        if _starts_with_code(row) and len(row.words) >= 2:
            # "G47 33": a code OCR split at its dot is joined when the whole is real.
            joined = codes_with_words(row.words[:2])
            code = joined[0][0] if joined else icd_codes(row.words[0].text, lenient=True)[0]
            if code not in codes:
                codes.append(code)
                used.append(row.words[0])
                page = page or row.page
    if not codes:
        return None
    parsed = Parsed(" ".join(w.text for w in used), list(codes), tuple(used), 1.0)
    return best_field(
        view.document_id, [Candidate("diagnosis_codes", parsed, page, 0.95)], EXTRACTOR
    )


def _assessment(view: DocumentView) -> ExtractedField | None:
    """The assessment paragraph: the clinical reason the note documents."""
    for row in view.rows:
        tokens = tuple(t for t in (norm_token(w.text) for w in row.words) if t)
        if tokens not in _ASSESSMENT_TOKENS:
            continue
        x_min = row.words[0].bbox.x0 - 10
        lines = [r for r in paragraph_after(view, row, x_min)]
        words: list[OcrWord] = []
        for line in lines:
            if _starts_with_code(line):
                break
            words.extend(line.words)
        parsed = parse_text(words, view.dates) if words else None
        if parsed is not None:
            return best_field(
                view.document_id, [Candidate("clinical_reason", parsed, row.page, 0.9)], EXTRACTOR
            )
    return None
