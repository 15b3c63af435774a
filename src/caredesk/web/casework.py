"""The coordinator's view of cases: worklist rows, one case with its evidence, runs and drafts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.accounts.service import Principal
from caredesk.agent.runs import ACTIVE, RUNNABLE, AgentRunView, runs_of, view
from caredesk.api.resources import Resources
from caredesk.domain.cases import CASE_FIELDS, Case, CaseValue
from caredesk.domain.clocks import ClockReading, read_clock
from caredesk.domain.documents import BoundingBox
from caredesk.domain.drafts import Draft
from caredesk.domain.packets import ItemAssessment, PolicySource
from caredesk.domain.roles import Role
from caredesk.review.records import DraftQuery, list_drafts
from caredesk.storage.models import CaseDocument, CaseRecord, Document, utcnow
from caredesk.web.formatting import field_label
from caredesk.web.kb_markdown import slug
from caredesk.worklist.assessments import RecordedAssessment, latest_assessment
from caredesk.worklist.queue import WorklistQuery, list_worklist
from caredesk.worklist.records import load_case

AGENT_RUNNERS = frozenset({Role.COORDINATOR, Role.ADMIN})
# What each step of the agent does, as the progress list names it.
NODE_LABELS = {
    "identify": "Identify the payer and the service",
    "pa_required": "Check whether prior authorization is required",
    "no_pa_note": "Write the note that no authorization is needed",
    "checklist": "Build the payer's checklist",
    "gather_evidence": "Gather evidence from the case's documents",
    "assess": "Assess each checklist item",
    "draft_summary": "Draft the medical-necessity summary",
    "draft_outreach": "Draft the cover letter and outreach",
    "score": "Score the confidence",
    "route": "Route the case: ready, or review",
}


def evidence_url(document_id: str, page: int, bbox: BoundingBox, label: str) -> str:
    """The document viewer opened on `page` with `bbox` highlighted."""
    query = {
        "page": page,
        "box": ",".join(f"{v:.1f}" for v in (bbox.x0, bbox.y0, bbox.x1, bbox.y1)),
        "size": f"{bbox.page_width},{bbox.page_height}",
        "label": label,
    }
    return f"/documents/{document_id}?{urlencode(query)}#page-view"


def policy_url(source: PolicySource) -> str:
    """The knowledge-base page of a policy version, at the section it names."""
    anchor = f"#{slug(source.section)}" if source.section else ""
    return f"/kb/{source.doc_id}?{urlencode({'version': source.version})}{anchor}"


@dataclass(frozen=True)
class WorklistRow:
    case: Case
    clock: ClockReading
    is_demo: bool


def demo_cases(session: Session, ids: Iterable[str]) -> set[str]:
    wanted = list(ids)
    if not wanted:
        return set()
    found = select(CaseRecord.id).where(CaseRecord.id.in_(wanted), CaseRecord.is_demo.is_(True))
    return set(session.execute(found).scalars())


def worklist_rows(resources: Resources, query: WorklistQuery) -> tuple[list[WorklistRow], int]:
    with resources.read_db() as session:
        page = list_worklist(session, query, utcnow())
        demo = demo_cases(session, (entry.case.id for entry in page.items))
    rows = [WorklistRow(e.case, e.clock, e.case.id in demo) for e in page.items]
    return rows, page.total


@dataclass(frozen=True)
class DocumentRow:
    id: str
    filename: str
    doc_type: str
    status: str
    role: str


@dataclass(frozen=True)
class EvidenceLink:
    url: str
    text: str
    quote: str = ""


@dataclass(frozen=True)
class ValueRow:
    name: str
    label: str
    value: CaseValue[Any] | None
    evidence: EvidenceLink | None
    original: EvidenceLink | None


@dataclass(frozen=True)
class ChecklistRow:
    assessment: ItemAssessment
    evidence: list[EvidenceLink]
    policy_url: str


@dataclass
class CasePage:
    """Everything the case page shows."""

    case: Case
    clock: ClockReading
    is_demo: bool
    documents: list[DocumentRow]
    values: list[ValueRow] = field(default_factory=list)
    assessment: RecordedAssessment | None = None
    checklist: list[ChecklistRow] = field(default_factory=list)
    run: AgentRunView | None = None
    drafts: list[Draft] = field(default_factory=list)
    can_run: bool = False
    run_blocked: str = ""
    suggestions: list[str] = field(default_factory=list)
    payer_name: str = ""

    @property
    def run_active(self) -> bool:
        return self.run is not None and self.run.status in ACTIVE

    def policy_links(self) -> list[tuple[PolicySource, str]]:
        if self.assessment is None:
            return []
        return [(p, policy_url(p)) for p in self.assessment.checklist.policies]


def case_documents(session: Session, case_id: str) -> list[DocumentRow]:
    rows = session.execute(
        select(Document, CaseDocument.role)
        .join(CaseDocument, CaseDocument.document_id == Document.id)
        .where(CaseDocument.case_id == case_id)
        .order_by(CaseDocument.added_at)
    )
    return [
        DocumentRow(doc.id, doc.filename, doc.doc_type or "", doc.status, role)
        for doc, role in rows
    ]


def _link(names: dict[str, str], document_id: str, page: int, bbox: BoundingBox, label: str,
          quote: str = "") -> EvidenceLink:  # fmt: skip
    text = f"{names.get(document_id, document_id)}, page {page}"
    return EvidenceLink(evidence_url(document_id, page, bbox, label), text, quote)


def _value_rows(case: Case, names: dict[str, str]) -> list[ValueRow]:
    rows = []
    for name in CASE_FIELDS:
        value = case.value_of(name)
        label = field_label(name)
        found = value.evidence if value is not None else None
        first = value.original.evidence if value is not None and value.original else None
        rows.append(
            ValueRow(
                name,
                label,
                value,
                _link(names, found.document_id, found.page, found.bbox, label) if found else None,
                _link(names, first.document_id, first.page, first.bbox, label) if first else None,
            )
        )
    return rows


def checklist_rows(assessed: RecordedAssessment, names: dict[str, str]) -> list[ChecklistRow]:
    return [
        ChecklistRow(
            item,
            [
                _link(names, e.document_id, e.page, e.bbox, item.item.id, e.quote)
                for e in item.evidence
            ],
            policy_url(item.item.source),
        )
        for item in assessed.checklist.items
    ]


def _suggestions(case: Case, payer_name: str) -> list[str]:
    codes = [line.code for line in case.service_lines][:2]
    payer = payer_name or "the payer"
    asked = [f"Does {payer} require prior authorization for {code}?" for code in codes]
    if codes:
        asked.append(f"What documentation does {payer} need for {codes[0]}?")
    return asked


def _run_gate(case: Case, principal: Principal) -> tuple[bool, str]:
    if principal.role not in AGENT_RUNNERS:
        return False, "Coordinators run the agent; you can follow its runs here."
    if case.status not in RUNNABLE:
        return False, f"The case is {case.status.value}: the agent runs on cases still worked."
    return True, ""


def case_page(resources: Resources, principal: Principal, case_id: str) -> CasePage:
    with resources.read_db() as session:
        case = load_case(session, case_id)
        documents = case_documents(session, case_id)
        names = {row.id: row.filename for row in documents}
        page = CasePage(
            case=case,
            clock=read_clock(case.received_at, case.due_at, utcnow()),
            is_demo=bool(demo_cases(session, [case_id])),
            documents=documents,
            values=_value_rows(case, names),
            assessment=latest_assessment(session, case_id),
        )
        runs = runs_of(session, case_id, 1)
        page.run = view(runs[0]) if runs else None
        page.drafts = list_drafts(session, DraftQuery(case_id=case_id, limit=100))[0]
    if page.assessment is not None:
        page.checklist = checklist_rows(page.assessment, names)
    page.can_run, page.run_blocked = _run_gate(case, principal)
    payer = resources.kb.resolve_payer(case.raw("payer") or "") if case.raw("payer") else None
    page.payer_name = payer.name if payer else ""
    page.suggestions = _suggestions(case, page.payer_name)
    return page
