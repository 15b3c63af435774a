"""Referral and PA request forms: patient, payer, providers, codes with units, urgency, reason."""

from __future__ import annotations

from collections.abc import Sequence

from caredesk.domain.documents import ExtractedField, OcrWord
from caredesk.ingest.extract.coded import DIAGNOSIS, PROCEDURE, UNITS, diagnoses, procedures
from caredesk.ingest.extract.engine import (
    Candidate,
    DocumentView,
    best_field,
    birth_date_by_age,
    confidence_of,
    label_score,
    member_id_in_rows,
    paragraph_after,
    read_label,
)
from caredesk.ingest.extract.layout import (
    LabelHit,
    Row,
    close,
    inked,
    is_leader,
    label_tokens,
    norm_token,
)
from caredesk.ingest.extract.parsers import (
    Parsed,
    Parser,
    parse_birth_date,
    parse_date_value,
    parse_member_id,
    parse_name_text,
    parse_npi,
    parse_person,
    parse_text,
)
from caredesk.ingest.extract.payers import (
    MISSPELT_PAYER_QUALITY,
    parse_payer,
    parse_plan,
    payer_id,
    payer_misspelt,
    plan_anywhere,
)
from caredesk.ingest.extract.signer import signer_on
from caredesk.ingest.extract.unlabelled import (
    UNLABELLED_NPI_SCORE,
    add_patient_by_shape,
    facility_under_section,
    names_beside_known_npis,
    npis_by_section,
    owner_beside,
    providers_beside_npis,
    service_date_below,
)
from caredesk.ingest.extract.urgency import URGENCY, urgency

EXTRACTOR = "referral-layout-v1"

# field → (label phrases, parser). Phrases shared by several fields ("NPI", "Name") are
# resolved by context: the label's own words, a label to its left, the section above.
DIRECT: dict[str, tuple[tuple[str, ...], Parser]] = {
    "patient_name": (
        ("Patient Name", "Patient", "Member Name", "RE", "Member", "Patient's Name"),
        parse_person,
    ),
    "date_of_birth": (("DOB", "Date of Birth", "Birth Date", "D.O.B."), parse_birth_date),
    "member_id": (
        (
            "Member ID",
            "Subscriber #",
            "Insurance ID",
            "Member No.",
            "ID #",
            "Member #",
            "Subscriber ID",
            "Policy #",
        ),
        parse_member_id,
    ),
    "payer": (("Insurance", "Health Plan", "Payer", "Insurance Carrier"), parse_payer),
    "plan": (("Plan", "Plan Name", "Product"), parse_plan),
    "ordering_provider_name": (
        (
            "Ordering Physician",
            "Referring Provider",
            "Ordering Provider",
            "Requesting Provider",
            "Referring Physician",
        ),
        parse_person,
    ),
    "ordering_provider_npi": (
        ("Requesting Provider NPI", "Ordering NPI", "Referring NPI", "Ordering Provider NPI"),
        parse_npi,
    ),
    "rendering_provider_name": (
        (
            "Rendering Provider",
            "Servicing Provider",
            "Servicing Facility",
            "Perform At",
            "Facility",
        ),
        parse_name_text,
    ),
    "rendering_provider_npi": (("Facility NPI", "Servicing NPI", "Rendering NPI"), parse_npi),
    "date_of_service": (
        (
            "Date of Service",
            "Scheduled Date",
            "Requested Start Date",
            "DOS",
            "Service Date",
            "Start Date",
        ),
        parse_date_value,
    ),
}
CONTEXTUAL_NAME = ("Name",)
CONTEXTUAL_NPI = ("NPI", "NPI #", "NPI No.", "NPI Number")
REASON = (
    "Clinical Reason",
    "Reason for Referral",
    "Clinical Indication",
    "Medical Necessity",
    "Clinical Information",
    "Summary of medical necessity",
    "Reason for Request",
)
OTHER_LABELS = (
    "Address",
    "Sex",
    "Phone",
    "Fax",
    "Location",
    "Servicing location",
    "Order date",
    "Date",
    "Date signed",
    "Patient Phone",
    "Provider Fax",
    "Description",
    "Service requested",
    "Signature",
    "Reviewer",
    "Reference #",
    "Gender",
)

PHRASES = tuple(
    phrase
    for group in (
        *(p for p, _ in DIRECT.values()),
        CONTEXTUAL_NAME,
        CONTEXTUAL_NPI,
        DIAGNOSIS,
        PROCEDURE,
        UNITS,
        URGENCY,
        REASON,
        OTHER_LABELS,
    )
    for phrase in group
)
_CONTEXT_FIELDS = {
    "name": {
        "patient": "patient_name",
        "ordering": "ordering_provider_name",
        "rendering": "rendering_provider_name",
    },
    "npi": {"ordering": "ordering_provider_npi", "rendering": "rendering_provider_npi"},
}
_NAME_PARSERS = {
    "patient_name": parse_person,
    "ordering_provider_name": parse_person,
    "rendering_provider_name": parse_name_text,
}


def extract_referral(view: DocumentView) -> dict[str, ExtractedField]:
    """Every referral / PA request field found, each with evidence and confidence."""
    candidates: dict[str, list[Candidate]] = {}
    for name, (phrases, parser) in DIRECT.items():
        for hit in view.hits_for(phrases):
            _add(candidates, name, read_label(view, hit, _clean(parser)), hit)
    _contextual(view, candidates)
    _fallbacks(view, candidates)
    fields = {
        name: found
        for name, found in (
            (n, best_field(view.document_id, c, EXTRACTOR)) for n, c in candidates.items()
        )
        if found is not None
    }
    for extra in (diagnoses(view), procedures(view), urgency(view), _reason(view)):
        if extra is not None:
            fields[extra.name] = extra
    services = fields.get("procedure_codes")
    if "date_of_service" not in fields and services is not None and services.evidence:
        box = services.evidence
        found = service_date_below(view, box.page, box.bbox.y1)
        date = best_field(view.document_id, [found], EXTRACTOR) if found else None
        if date is not None:
            fields["date_of_service"] = date
    return fields


def _add(
    candidates: dict[str, list[Candidate]],
    name: str,
    parsed: Parsed | None,
    hit: LabelHit,
    factor: float = 1.0,
) -> None:
    if parsed is not None and parsed.words:
        score = label_score(hit) * factor
        candidates.setdefault(name, []).append(Candidate(name, parsed, hit.row.page, score))


def _clean(parser: Parser) -> Parser:
    """Values end where another label starts; also drop a stray leading colon or bullet."""

    def parse(words: Sequence[OcrWord], context: object) -> Parsed | None:
        kept = [w for w in words if w.text not in (":", "|", "•") and not is_leader(w.text)]
        return parser(kept, context) if kept else None  # type: ignore[arg-type]

    return parse


def _contextual(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """ "Name" and "NPI" belong to whoever the section or the neighbouring label is about."""
    unplaced: list[LabelHit] = []
    for kind, phrases in (("name", CONTEXTUAL_NAME), ("npi", CONTEXTUAL_NPI)):
        for hit in view.hits_for(phrases):
            context = view.context_of(hit)
            target = _CONTEXT_FIELDS[kind].get(context or "")
            if kind == "npi" and target:
                _add(candidates, target, read_label(view, hit, _clean(parse_npi)), hit)
            elif kind == "npi":
                unplaced.append(hit)
            elif target:
                _add(candidates, target, read_label(view, hit, _clean(_NAME_PARSERS[target])), hit)
    # An NPI whose owner nothing names goes to whichever NPI no label has claimed yet: a
    # field whose own caption is on the page is claimed even when its number did not read
    # ("Facility NPI: 2592608344", two digits misread), or both would get the one number.
    npi_fields = list(_CONTEXT_FIELDS["npi"].values())
    claimed = {name for name in npi_fields if name in candidates or view.hits_for(DIRECT[name][0])}
    open_fields = [name for name in npi_fields if name not in claimed] or npi_fields
    for hit in unplaced:
        parsed = read_label(view, hit, _clean(parse_npi))
        # A clinician or a facility printed beside the number says whose it is.
        owner = owner_beside(view, parsed.words[0]) if parsed and parsed.words else None
        owned = _CONTEXT_FIELDS["npi"].get(owner or "")
        for name in [owned] if owned else open_fields:
            _add(candidates, name, parsed, hit, 0.8)


def _unlabelled(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """Values whose label OCR lost, found by their shape: a member id in its payer's exact
    format; a check-digit-valid NPI with the clinician or facility printed beside it, else
    under a section that names its owner."""
    if "member_id" not in candidates:
        member_id = member_id_in_rows(view)
        if member_id is not None:
            candidates["member_id"] = [member_id]
    npi_fields = _CONTEXT_FIELDS["npi"]
    for name, candidate in providers_beside_npis(view, _npis_taken(candidates)).items():
        candidates.setdefault(name, [candidate])
    missing = {owner: name for owner, name in npi_fields.items() if name not in candidates}
    if missing:
        found = npis_by_section(view, missing, _npis_taken(candidates))
        for name, candidate in found.items():
            candidates[name] = [candidate]
    known = {
        owner: max(candidates[name], key=confidence_of).parsed
        for owner, name in npi_fields.items()
        if name in candidates and f"{owner}_provider_name" not in candidates
    }
    for name, candidate in names_beside_known_npis(view, known).items():
        candidates.setdefault(name, [candidate])
    if "rendering_provider_name" not in candidates:
        facility = facility_under_section(view)
        if facility is not None:
            candidates["rendering_provider_name"] = [facility]


def _npis_taken(candidates: dict[str, list[Candidate]]) -> set[str]:
    fields = _CONTEXT_FIELDS["npi"].values()
    return {str(c.parsed.normalized) for n in fields for c in candidates.get(n, [])}


def _fallbacks(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """Weaker sources: values by their shape alone, the payer from a member id prefix or
    plan, the signer as orderer."""
    _unlabelled(view, candidates)
    add_patient_by_shape(view, candidates)
    if "date_of_birth" not in candidates:
        birth = birth_date_by_age(view)
        if birth is not None:
            candidates["date_of_birth"] = [birth]
    for source in ("member_id", "plan"):
        for candidate in candidates.get(source, []):
            found = payer_id(str(candidate.parsed.normalized or ""))
            if found and source == "member_id":
                found = _payer_from_member_id(str(candidate.parsed.normalized))
            if found:
                guess = Parsed(candidate.parsed.value, found, candidate.parsed.words, 0.9)
                candidates.setdefault("payer", []).append(
                    Candidate("payer", guess, candidate.page, candidate.label_score)
                )
    if "payer" not in candidates:
        _payer_anywhere(view, candidates)
    if not any(c.parsed.quality >= 0.8 for c in candidates.get("plan", [])):
        plans = {
            str(p.normalized): (p, row) for row in view.rows if (p := plan_anywhere(row.words))
        }
        if len(plans) == 1:
            parsed, row = next(iter(plans.values()))
            candidates["plan"] = [Candidate("plan", parsed, row.page, 0.9)]
    named = candidates.get("ordering_provider_name", [])
    # None, only a lone word, or only a name found by its place: the signature also votes.
    if not any(c.parsed.quality >= 1.0 and c.label_score > UNLABELLED_NPI_SCORE for c in named):
        for row in view.rows:
            signer = signer_on(view, row)
            if signer is not None:
                candidates.setdefault("ordering_provider_name", []).append(
                    Candidate("ordering_provider_name", signer, row.page, 0.85)
                )
    _rendering_from_address(view, candidates)


def _payer_anywhere(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """The one payer the document names anywhere (a letterhead, an insurance line whose
    caption OCR lost), spelt right or within two slips."""
    named = [
        (row, found)
        for row in view.rows
        if (found := payer_id(row.text) or payer_misspelt(row.text)) is not None
    ]
    if named and len({found for _, found in named}) == 1:
        row, found = named[0]
        parsed = Parsed(row.text, found, row.words, MISSPELT_PAYER_QUALITY)
        candidates["payer"] = [Candidate("payer", parsed, row.page, 0.9)]


def _payer_from_member_id(member_id: str) -> str | None:
    prefixes = {"QFH": "quillfeather", "TWM": "tumbleweed", "LCC": "lanternfish"}
    return prefixes.get(member_id[:3].upper())


def _rendering_from_address(view: DocumentView, candidates: dict[str, list[Candidate]]) -> None:
    """A letter names the facility as the head of the address block above its NPI line."""
    if "rendering_provider_name" in candidates:
        return
    for hit in view.hits_for(DIRECT["rendering_provider_npi"][0]):
        if not hit.colon or hit.start != 0:
            continue  # only a letter's "Facility NPI: ..." line closes an address block
        block = address_block_above(view, hit.row)
        parsed = parse_name_text(block[0].words, view.dates) if len(block) >= 2 else None
        if parsed is not None:
            candidates.setdefault("rendering_provider_name", []).append(
                Candidate("rendering_provider_name", parsed, hit.row.page, 0.85)
            )


def address_block_above(view: DocumentView, row: Row) -> list[Row]:
    """The evenly spaced lines just above `row`, top first; a wider gap ends the block."""
    rows = view.page_rows(row.page)
    block: list[Row] = []
    below, pitch = row, 0.0
    for above in reversed(rows[max(0, row.index - 6) : row.index]):
        step = below.bottom - above.bottom
        if block and pitch and step > 1.5 * pitch:
            break
        if len(block) == 1:
            pitch = step
        elif len(block) > 1:
            pitch = min(pitch, step)
        block.append(above)
        below = above
    return list(reversed(block))


def _reason(view: DocumentView) -> ExtractedField | None:
    """The clinical reason: the paragraph under its caption, or a letter's first paragraph."""
    captions = _reason_captions(view)
    caption_rows = {(row.page, row.index) for row, _ in captions}
    for row, x_min in captions:
        lines = paragraph_after(view, row, x_min)
        while lines and (lines[0].page, lines[0].index) in caption_rows:
            lines = lines[1:]  # a section bar over a box caption: the text is under both
        words = [w for r in lines for w in r.words]
        parsed = parse_text(words, view.dates) if words else None
        if parsed is not None:
            candidate = Candidate("clinical_reason", parsed, row.page, 0.9)
            return best_field(view.document_id, [candidate], EXTRACTOR)
    return _letter_reason(view)


_REASON_TOKENS = [label_tokens(p) for p in REASON]


def _reason_captions(view: DocumentView) -> list[tuple[Row, float]]:
    """Rows ending with a reason caption ("7. CLINICAL INFORMATION", "Medical Necessity")."""
    found = []
    for row in view.rows:
        # A table rule OCR read as "|" after the caption is not a word of it.
        words = [w for w in row.words if inked(w)]
        tokens = [norm_token(w.text) for w in words]
        for phrase in _REASON_TOKENS:
            ending = tokens[-len(phrase) :]
            # "Medical Nacessity": each word within an OCR slip or two.
            if len(tokens) >= len(phrase) and all(map(close, ending, phrase)):
                x_min = words[len(words) - len(phrase)].bbox.x0
                height = row.height
                found.append((row, min(x_min, row.words[0].bbox.x0) - 3 * height))
                break
    return found


def _letter_reason(view: DocumentView) -> ExtractedField | None:
    """A referral letter states the reason in its first paragraph, after the salutation."""
    for row in view.rows:
        if _is_salutation(row):
            words = [w for r in paragraph_after(view, row, 0.0) for w in r.words]
            skip = _boilerplate_words(words)
            parsed = parse_text(words[skip:], view.dates)
            if parsed is not None:
                candidate = Candidate("clinical_reason", parsed, row.page, 0.85)
                return best_field(view.document_id, [candidate], EXTRACTOR)
    return None


def _is_salutation(row: Row) -> bool:
    """ "Dear Colleague," even as fax OCR spells it ("Doar Colleague.")."""
    tokens = [norm_token(w.text) for w in row.words[:3]]
    return bool(tokens) and (
        close(tokens[0], "dear")
        or tokens[0] in {"dear", "doar", "daar"}
        or any(close(t, "colleague") for t in tokens[1:])
    )


def _boilerplate_words(words: Sequence[OcrWord]) -> int:
    """ "I am referring the patient above for the service below." opens every referral
    letter; OCR reads it as "| am refarring ... below," — skip it by its shape."""
    tokens = [norm_token(w.text) for w in words[:16]]
    refers = next((i for i, t in enumerate(tokens) if close(t, "referring")), None)
    below = next((i for i, t in enumerate(tokens) if close(t, "below")), None)
    if refers is None or below is None or not refers < below <= refers + 10:
        return 0
    return below + 1
