"""Read a case's documents for evidence: field values, keyword hits, disagreements, orders."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from caredesk.agent.checklist import PlannedItem
from caredesk.agent.matching import Hit, PageTokens, distinct_keywords, page_tokens
from caredesk.domain.cases import CASE_FIELDS, Case, CaseValue, ServiceLine, ValueSource
from caredesk.domain.cases import parse_field_value as _parse
from caredesk.domain.documents import Evidence, ExtractionResult, PageStatus
from caredesk.domain.errors import InputRejected
from caredesk.domain.knowledge import Payer
from caredesk.domain.packets import CitedEvidence

# Fields two papers of one case must agree on; a difference needs a person.
IDENTITY_CHECKED = ("date_of_birth", "member_id")
HITS_PER_KEYWORD = 2
_PREFIX = re.compile(r"^([A-Z]{2,5})(?=[0-9-])")
_FREE_TEXT_LIMIT = 80


class FieldFinding(BaseModel):
    """One field an item names: present, absent, invalid or disputed, with its evidence."""

    model_config = ConfigDict(frozen=True)

    field: str
    state: Literal["present", "absent", "invalid", "conflict"]
    value: str = ""
    reason: str = ""
    evidence: CitedEvidence | None = None
    confidence: float = 1.0


class KeywordFinding(BaseModel):
    """One of an item's keywords found in the documents, with up to two places it occurs."""

    model_config = ConfigDict(frozen=True)

    keyword: str
    evidence: tuple[CitedEvidence, ...]
    confidence: float


class ItemFindings(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    fields: tuple[FieldFinding, ...] = ()
    keywords: tuple[KeywordFinding, ...] = ()


class Disagreement(BaseModel):
    """Papers of one case that give different values for one field (by document id)."""

    model_config = ConfigDict(frozen=True)

    field: str
    values: dict[str, str]


class CaseReading(BaseModel):
    """What reading the case's documents showed, beyond any one item."""

    model_config = ConfigDict(frozen=True)

    documents: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()
    unreadable_pages: tuple[str, ...] = ()
    page_quality: float = 1.0
    conflicts: tuple[Disagreement, ...] = ()
    payer_mismatch: str = ""
    orders: tuple[CitedEvidence, ...] = ()

    def disputed(self) -> set[str]:
        return {conflict.field for conflict in self.conflicts}


def display(value: Any) -> str:
    """A case value as a person reads it: dates ISO, services `code x units`, lists joined."""
    if isinstance(value, list):
        return ", ".join(display(entry) for entry in value)
    if isinstance(value, ServiceLine):
        return f"{value.code} x {value.units}"
    if isinstance(value, dict) and "code" in value:
        return f"{value['code']} x {value.get('units', 1)}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cite(evidence: Evidence, quote: str) -> CitedEvidence:
    return CitedEvidence(
        document_id=evidence.document_id,
        page=evidence.page,
        bbox=evidence.bbox,
        quote=quote[: _FREE_TEXT_LIMIT * 3],
    )


def read_case(
    case: Case, extractions: Mapping[str, ExtractionResult | None], payers: Sequence[Payer]
) -> tuple[CaseReading, list[PageTokens]]:
    """The case-wide reading and every readable page as tokens (orders marked off)."""
    read = {doc: found for doc, found in extractions.items() if found is not None}
    pages = [page_tokens(doc, page) for doc, found in read.items() for page in found.pages
             if page.status is PageStatus.OK]  # fmt: skip
    unreadable = [f"{doc} p.{page.number}" for doc, found in read.items() for page in found.pages
                  if page.status is not PageStatus.OK]  # fmt: skip
    quality = [p.page.mean_confidence / 100.0 for p in pages if p.words]
    orders = [
        CitedEvidence(document_id=p.document_id, page=p.page.number, bbox=box)
        for p in pages
        for box in p.order_boxes()
    ]
    reading = CaseReading(
        documents=tuple(extractions),
        unread=tuple(doc for doc, found in extractions.items() if found is None),
        unreadable_pages=tuple(unreadable),
        page_quality=sum(quality) / len(quality) if quality else 0.0,
        conflicts=tuple(disagreements(case, read)),
        payer_mismatch=payer_mismatch(case, payers),
        orders=tuple(orders),
    )
    return reading, pages


def disagreements(case: Case, read: Mapping[str, ExtractionResult]) -> list[Disagreement]:
    """Identity fields on which the papers differ; a person's correction settles one."""
    found: list[Disagreement] = []
    for field in IDENTITY_CHECKED:
        current = case.value_of(field)
        if current is not None and current.source is ValueSource.CORRECTED:
            continue
        values = {
            doc: _comparable(field, extraction.fields[field].normalized
                             or extraction.fields[field].value)
            for doc, extraction in read.items()
            if field in extraction.fields
        }  # fmt: skip
        if current is not None:
            values.setdefault("case", _comparable(field, current.value))
        if len(set(values.values())) > 1:
            found.append(Disagreement(field=field, values=values))
    return found


def _comparable(field: str, value: object) -> str:
    text = display(value).strip()
    if field == "member_id":
        return re.sub(r"[^A-Z0-9]", "", text.upper())
    return text


def payer_mismatch(case: Case, payers: Sequence[Payer]) -> str:
    """The alias of another payer that the member id starts with ("" when none does)."""
    member, payer = case.raw("member_id"), case.raw("payer")
    if not member or not payer:
        return ""
    match = _PREFIX.match(str(member).upper())
    if match is None:
        return ""
    prefix = match.group(1)
    owners = [p for p in payers if prefix in {a.upper().replace(" ", "") for a in p.aliases}]
    if not owners or any(p.answers_to(str(payer)) for p in owners):
        return ""
    return prefix


def find_for_item(
    planned: PlannedItem,
    case: Case,
    extractions: Mapping[str, ExtractionResult | None],
    reading: CaseReading,
    pages: Sequence[PageTokens],
) -> ItemFindings:
    """Everything in the case that speaks to one item."""
    fields = tuple(
        field_finding(field, case, extractions, reading)
        for field in planned.fields
        if field in CASE_FIELDS or _free_text_present(field, extractions)
    )
    found = distinct_keywords(planned.keywords, pages)
    keywords = tuple(_keyword_finding(keyword, hits) for keyword, hits in found.items())
    return ItemFindings(item_id=planned.item.id, fields=fields, keywords=keywords)


def _free_text_present(field: str, extractions: Mapping[str, ExtractionResult | None]) -> bool:
    return any(found is not None and field in found.fields for found in extractions.values())


def _keyword_finding(keyword: str, hits: list[Hit]) -> KeywordFinding:
    chosen = hits[:HITS_PER_KEYWORD]
    evidence = tuple(
        CitedEvidence(document_id=h.document_id, page=h.page, bbox=h.bbox, quote=h.quote)
        for h in chosen
    )
    return KeywordFinding(
        keyword=keyword, evidence=evidence, confidence=max(h.confidence for h in chosen)
    )


def field_finding(
    field: str,
    case: Case,
    extractions: Mapping[str, ExtractionResult | None],
    reading: CaseReading,
) -> FieldFinding:
    if field not in CASE_FIELDS:
        return _document_field(field, extractions)
    value = case.value_of(field)
    if value is None or value.value in (None, "", []):
        return FieldFinding(field=field, state="absent", reason=f"the case has no {field}")
    shown = display(value.value)
    evidence = cite(value.evidence, shown) if value.evidence else None
    confidence = _confidence(value)
    if field in reading.disputed():
        return FieldFinding(field=field, state="conflict", value=shown, evidence=evidence,
                            confidence=confidence, reason=_dispute(field, reading))  # fmt: skip
    problem = _problem(field, value)
    state: Literal["present", "invalid"] = "invalid" if problem else "present"
    return FieldFinding(field=field, state=state, value=shown, reason=problem,
                        evidence=evidence, confidence=confidence)  # fmt: skip


def _document_field(field: str, extractions: Mapping[str, ExtractionResult | None]) -> FieldFinding:
    for found in extractions.values():
        if found is not None and field in found.fields:
            extracted = found.fields[field]
            evidence = extracted.evidence
            return FieldFinding(
                field=field,
                state="present",
                value=extracted.value[:_FREE_TEXT_LIMIT],
                evidence=cite(evidence, extracted.value) if evidence else None,
                confidence=extracted.confidence,
            )
    return FieldFinding(field=field, state="absent", reason=f"no document has a {field}")


def _confidence(value: CaseValue[Any]) -> float:
    if value.source is not ValueSource.EXTRACTED:
        return 1.0  # a person typed or corrected it
    ocr = value.evidence.ocr_confidence / 100.0 if value.evidence else 1.0
    return min(value.confidence if value.confidence is not None else 1.0, ocr)


def _problem(field: str, value: CaseValue[Any]) -> str:
    raw = value.value
    if isinstance(raw, list):
        raw = [entry.model_dump() if isinstance(entry, ServiceLine) else entry for entry in raw]
    try:
        _parse(field, raw)
    except InputRejected as error:
        return error.reason
    return ""


def _dispute(field: str, reading: CaseReading) -> str:
    conflict = next(c for c in reading.conflicts if c.field == field)
    shown = "; ".join(f"{value} ({where})" for where, value in conflict.values.items())
    return f"the documents disagree on {field}: {shown}"
