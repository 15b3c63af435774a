"""Knowledge-base documents, chunks and search hits, and the pure rules of versions and codes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from caredesk.domain.codes import (
    code_in_ranges,
    expand_code_ranges,
    is_cpt_format,
    is_hcpcs_level2_format,
)
from caredesk.domain.errors import InputRejected

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
# Ranges wider than this are not expanded when a code is looked for in prose.
_PROSE_RANGE_LIMIT = 200
_CODE = r"(?:\d{4}[0-9FTU]|[A-V]\d{4})"
_CODE_IN_TEXT = re.compile(rf"(?<![\w.]){_CODE}(?![\w])")
_RANGE_IN_TEXT = re.compile(
    rf"(?<![\w.])({_CODE})\s*(?:[-\u2010-\u2015]|\bthrough\b)\s*({_CODE})(?![\w])"
)
_RANGE_DASH = re.compile(r"[-\u2010-\u2015]")
OPEN_ENDED = date(9999, 12, 31)


class KbKind(StrEnum):
    """What a knowledge document is."""

    POLICY = "policy"
    PLAYBOOK = "playbook"
    REGULATION = "regulation"
    FEE_SCHEDULE = "fee_schedule"
    GUIDE = "guide"


class ChecklistKind(StrEnum):
    """Whether a checklist item is clinical, a document to attach, or an administrative detail."""

    CLINICAL = "clinical"
    DOCUMENTATION = "documentation"
    ADMINISTRATIVE = "administrative"


class SubmissionChannel(StrEnum):
    """How a payer accepts a PA request."""

    PORTAL = "portal"
    FAX = "fax"
    PHONE = "phone"
    X12_278 = "x12-278"
    FHIR_PAS = "fhir-pas"


class PaStatus(StrEnum):
    """Whether a service needs prior authorization under the governing policy."""

    REQUIRED = "required"
    NOT_REQUIRED = "not_required"
    CONDITIONAL = "conditional"
    UNKNOWN = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_code_entry(entry: str) -> str:
    """An upper-cased code or range, checked so a typo fails at load, not at lookup."""
    entry = entry.strip().upper()
    ends = [end.strip() for end in _RANGE_DASH.split(entry)]
    if not all(is_cpt_format(end) or is_hcpcs_level2_format(end) for end in ends):
        raise ValueError(f"{entry!r} is not a CPT or HCPCS procedure code or range of them")
    try:
        expand_code_ranges([entry])
    except InputRejected as error:
        raise ValueError(f"{entry!r}: {error.reason}") from error
    return entry


def _as_text(value: Any) -> Any:
    # YAML reads an unquoted 72148 as a number; the code is text either way.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


CodeEntry = Annotated[str, BeforeValidator(_as_text), AfterValidator(_check_code_entry)]
CodeList = list[CodeEntry]


class ChecklistEvidence(_Model):
    """What in a case's documents can satisfy a checklist item."""

    fields: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    min_keywords: int = Field(0, ge=0)


class ChecklistItem(_Model):
    """One piece of documentation a payer wants with a request."""

    id: Slug
    text: str = Field(min_length=1)
    kind: ChecklistKind
    evidence: ChecklistEvidence = Field(default_factory=ChecklistEvidence)


class PaCondition(_Model):
    """Codes whose PA need depends on a condition, and the condition in words."""

    codes: CodeList = Field(min_length=1)
    rule: str = Field(min_length=1)


class Turnaround(_Model):
    """A payer's decision clock for a service: expedited hours, standard calendar days."""

    expedited_hours: int | None = Field(None, gt=0)
    standard_days: int | None = Field(None, gt=0)


class KbFrontMatter(_Model):
    """The YAML front matter of one knowledge document version (docs/knowledge-base-format.md)."""

    id: Slug
    title: str = Field(min_length=1)
    kind: KbKind
    effective_date: date
    end_date: date | None = None
    version: str = Field("1", min_length=1)
    payer: Slug | None = None
    plans: list[str] = Field(default_factory=list)
    service_codes: CodeList = Field(default_factory=list)
    pa_required: CodeList = Field(default_factory=list)
    pa_not_required: CodeList = Field(default_factory=list)
    pa_conditions: list[PaCondition] = Field(default_factory=list)
    turnaround: Turnaround | None = None
    submission: list[SubmissionChannel] = Field(default_factory=list)
    appeal_window_days: int | None = Field(None, gt=0)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    patient_notice: bool = False
    source: str | None = None
    review_by: date | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # YAML reads `version: 2` as an int; the label is text either way.
        return str(value) if isinstance(value, int | float) else value

    @field_validator("effective_date", "end_date", "review_by", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> KbFrontMatter:
        if self.end_date is not None and self.end_date < self.effective_date:
            raise ValueError("end_date is before effective_date")
        if self.kind is KbKind.REGULATION and not self.source:
            raise ValueError("a regulation needs a `source` citing where the rule comes from")
        item_ids = [item.id for item in self.checklist]
        if len(item_ids) != len(set(item_ids)):
            raise ValueError("checklist item ids must be unique within the document")
        return self

    def governs(self, code: str) -> bool:
        """True when the document names `code` among the services it governs."""
        ranges = [*self.service_codes, *self.pa_required, *self.pa_not_required]
        ranges += [entry for condition in self.pa_conditions for entry in condition.codes]
        return code_in_ranges(code.strip().upper(), ranges)


class KbDocument(_Model):
    """One version of one knowledge document: front matter, Markdown body, where it came from."""

    front_matter: KbFrontMatter
    body: str
    source_path: str
    content_hash: str
    body_line: int = Field(1, ge=1, description="Line of the source file the body starts on.")

    @property
    def doc_id(self) -> str:
        return self.front_matter.id

    @property
    def version(self) -> str:
        return self.front_matter.version

    @property
    def key(self) -> str:
        """`id@version`, unique across the knowledge base."""
        return f"{self.front_matter.id}@{self.front_matter.version}"


class Chunk(_Model):
    """A citable span of one document version: `text == document.body[start:end]`."""

    chunk_id: str
    doc_id: str
    version: str
    title: str
    kind: KbKind
    payer: str | None = None
    plans: list[str] = Field(default_factory=list)
    effective_date: date
    end_date: date | None = None
    section_path: list[str] = Field(default_factory=list)
    section_title: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    service_codes: list[str] = Field(default_factory=list)
    mentioned_codes: list[str] = Field(default_factory=list)
    source_path: str = ""

    @property
    def doc_key(self) -> str:
        return f"{self.doc_id}@{self.version}"

    def passage(self) -> str:
        """What retrievers see: title and section path give a bare paragraph its context."""
        trail = " > ".join(self.section_path) or self.section_title
        return f"{self.title}\n{trail}\n{self.text}"


class SearchHit(_Model):
    """One retrieved chunk with its fused score, its rank in each retriever and the exact quote."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = Field(default_factory=dict)
    quote: str

    @property
    def citation(self) -> str:
        return f"{self.chunk.doc_key} § {self.chunk.section_title}"

    def as_json(self) -> dict[str, Any]:
        """The stable `caredesk kb search --json` shape; other tools depend on it, keep it so."""
        return {
            "doc_id": self.chunk.doc_id,
            "version": self.chunk.version,
            "title": self.chunk.title,
            "section": self.chunk.section_title,
            "score": round(self.score, 6),
            "quote": self.quote,
            "start": self.chunk.start,
            "end": self.chunk.end,
        }


class Payer(_Model):
    """A payer from payers.yaml with the names people use for it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Slug
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    plans: list[str] = Field(default_factory=list)
    portal_url: str | None = None
    pa_fax: str | None = None
    pa_phone: str | None = None
    payer_id_x12: str | None = None

    def answers_to(self, name: str) -> bool:
        wanted = " ".join(name.casefold().split())
        return wanted in {self.id, self.name.casefold(), *(a.casefold() for a in self.aliases)}


class PaRequirement(_Model):
    """Whether a code needs PA with a payer on a date, and the policy section that says so."""

    payer: str
    code: str
    as_of: date
    plan: str | None = None
    status: PaStatus
    rule: str = ""
    doc_id: str | None = None
    version: str | None = None
    section: str | None = None
    chunk_id: str | None = None
    quote: str = ""
    quote_start: int | None = Field(None, ge=0, description="Offset of the quote in the body.")
    quote_end: int | None = Field(None, ge=0)
    reason: str = ""

    @property
    def citation(self) -> str | None:
        if self.doc_id is None:
            return None
        return f"{self.doc_id}@{self.version} § {self.section or self.doc_id}"


class LoadProblem(_Model):
    """Why one knowledge-base file was not loaded, pointing at the offending line."""

    file: str
    line: int = Field(ge=1)
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class LoadReport(_Model):
    """What one `load` did: documents seen, what changed, chunks embedded, files rejected."""

    path: str
    documents: int
    chunks: int
    added: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    problems: list[LoadProblem] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class KbStatus(_Model):
    """The state of one knowledge base: what is loaded, when, and where its indexes live."""

    documents: int
    versions: int
    chunks: int
    payers: int
    last_load: datetime | None = None
    kb_path: str | None = None
    index_location: str
    embedder: str
    problems: list[LoadProblem] = Field(default_factory=list)


# --- pure rules ------------------------------------------------------------------------------


def in_force(doc: KbDocument | KbFrontMatter, as_of: date) -> bool:
    """True when `as_of` lies between the version's effective date and end date, inclusive."""
    meta = doc.front_matter if isinstance(doc, KbDocument) else doc
    return meta.effective_date <= as_of <= (meta.end_date or OPEN_ENDED)


def force_windows(versions: Sequence[KbDocument]) -> dict[str, tuple[date, date]]:
    """For each version of one document, the days on which it is the version in force.

    A newer version supersedes older ones from its effective date on, whatever its own end
    date; so at most one version is in force on any day.
    """
    ordered = sorted(versions, key=lambda doc: doc.front_matter.effective_date)
    windows: dict[str, tuple[date, date]] = {}
    for position, doc in enumerate(ordered):
        start = doc.front_matter.effective_date
        stop = doc.front_matter.end_date or OPEN_ENDED
        later = [d.front_matter.effective_date for d in ordered[position + 1 :]]
        if later:
            stop = min(stop, date.fromordinal(min(later).toordinal() - 1))
        windows[doc.key] = (start, stop)
    return windows


def version_in_force(versions: Sequence[KbDocument], as_of: date) -> KbDocument | None:
    """The one version of a document in force on `as_of`, or None."""
    windows = force_windows(versions)
    for doc in versions:
        start, stop = windows[doc.key]
        if start <= as_of <= stop:
            return doc
    return None


def versions_in_force(documents: Iterable[KbDocument], as_of: date) -> list[KbDocument]:
    """Of all versions of all documents, the ones in force on `as_of` (one per id at most)."""
    by_id: dict[str, list[KbDocument]] = {}
    for doc in documents:
        by_id.setdefault(doc.doc_id, []).append(doc)
    chosen = (version_in_force(versions, as_of) for versions in by_id.values())
    return [doc for doc in chosen if doc is not None]


def applies_to(
    meta: KbFrontMatter,
    *,
    payer: str | None = None,
    plan: str | None = None,
    kind: KbKind | str | None = None,
    service_code: str | None = None,
) -> bool:
    """The search filters on one document: absent payer, plans or codes mean "applies to all"."""
    if payer is not None and meta.payer not in (None, payer):
        return False
    if plan is not None and meta.plans and plan not in meta.plans:
        return False
    if kind is not None and meta.kind != kind:
        return False
    has_codes = bool(meta.service_codes or meta.pa_required or meta.pa_not_required)
    return service_code is None or not has_codes or meta.governs(service_code)


def pa_status_for(meta: KbFrontMatter, code: str) -> tuple[PaStatus, str]:
    """What one policy says about one code: required, exempt, conditional (with its rule)."""
    code = code.strip().upper()
    for condition in meta.pa_conditions:
        if code_in_ranges(code, condition.codes):
            return PaStatus.CONDITIONAL, condition.rule
    if code_in_ranges(code, meta.pa_not_required):
        return PaStatus.NOT_REQUIRED, ""
    if code_in_ranges(code, meta.pa_required):
        return PaStatus.REQUIRED, ""
    return PaStatus.UNKNOWN, ""


def codes_in_text(text: str) -> list[str]:
    """CPT and HCPCS codes named in prose, with short ranges ("70551-70553") spelled out."""
    found: dict[str, None] = {}
    for match in _RANGE_IN_TEXT.finditer(text):
        try:
            expanded = expand_code_ranges([f"{match.group(1)}-{match.group(2)}"])
        except InputRejected:
            continue
        if len(expanded) <= _PROSE_RANGE_LIMIT:
            found.update(dict.fromkeys(sorted(expanded)))
    found.update(dict.fromkeys(match.group(0).upper() for match in _CODE_IN_TEXT.finditer(text)))
    return list(found)


def date_key(day: date) -> int:
    """A date as the integer YYYYMMDD, the form vector-index metadata filters compare."""
    return day.year * 10_000 + day.month * 100 + day.day
