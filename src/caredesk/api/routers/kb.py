"""The knowledge base: search with filters, list documents, read every version of one.

Coordinators and up (people who work cases) may read payer rules.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caredesk.api.deps import ResourcesDep, allow
from caredesk.domain.knowledge import KbDocument, KbKind, KbStatus
from caredesk.domain.roles import CASE_WORKERS

router = APIRouter(prefix="/kb", tags=["knowledge base"])


class SearchHitOut(BaseModel):
    """One passage: the same fields as `caredesk kb search --json`."""

    doc_id: str
    version: str
    title: str
    section: str
    score: float
    quote: str = Field(description="The passage, exactly as the document body has it")
    start: int = Field(description="Offset of the quote in the document body")
    end: int


class DocumentSummary(BaseModel):
    doc_id: str
    version: str
    title: str
    kind: KbKind
    payer: str | None
    plans: list[str]
    effective_date: date
    end_date: date | None
    service_codes: list[str]
    source_path: str


class DocumentVersion(DocumentSummary):
    front_matter: dict[str, Any] = Field(description="The version's YAML front matter")
    body: str = Field(description="The Markdown body citations point into")


class DocumentOut(BaseModel):
    doc_id: str
    versions: list[DocumentVersion] = Field(description="Every loaded version, oldest first")


def summary(doc: KbDocument) -> dict[str, Any]:
    meta = doc.front_matter
    return {
        "doc_id": doc.doc_id,
        "version": doc.version,
        "title": meta.title,
        "kind": meta.kind,
        "payer": meta.payer,
        "plans": list(meta.plans),
        "effective_date": meta.effective_date,
        "end_date": meta.end_date,
        "service_codes": list(meta.service_codes),
        "source_path": doc.source_path,
    }


@router.get(
    "/search",
    dependencies=[allow(CASE_WORKERS)],
    response_model=list[SearchHitOut],
    summary="Search the knowledge base",
    responses={422: {"description": "Empty query, unknown payer or kind, or a bad date"}},
)
def search(
    resources: ResourcesDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for")],
    payer: Annotated[str | None, Query(description="Payer id, name or alias")] = None,
    plan: str | None = None,
    kind: KbKind | None = None,
    service_code: Annotated[str | None, Query(description="CPT or HCPCS code")] = None,
    as_of: Annotated[date | None, Query(description="Rules in force on this date (today)")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    """The best passages in force on `as_of` that pass the filters, best first."""
    hits = resources.kb.search(
        q, payer=payer, plan=plan, kind=kind.value if kind else None,
        service_code=service_code, as_of=as_of, k=k,
    )  # fmt: skip
    return [hit.as_json() for hit in hits]


@router.get(
    "/status",
    dependencies=[allow(CASE_WORKERS)],
    response_model=KbStatus,
    summary="What is loaded",
)
def kb_status(resources: ResourcesDep) -> KbStatus:
    """Documents, versions, chunks and payers loaded, when, and where the indexes live."""
    return resources.kb.status()


@router.get(
    "/documents",
    dependencies=[allow(CASE_WORKERS)],
    response_model=list[DocumentSummary],
    summary="List knowledge documents",
)
def list_documents(
    resources: ResourcesDep,
    as_of: Annotated[date | None, Query(description="Only versions in force on this date")] = None,
) -> list[dict[str, Any]]:
    """Every loaded version (or those in force on `as_of`), by id then effective date."""
    return [summary(doc) for doc in resources.kb.list_documents(as_of)]


@router.get(
    "/documents/{doc_id}",
    dependencies=[allow(CASE_WORKERS)],
    response_model=DocumentOut,
    summary="One knowledge document, every version",
    responses={404: {"description": "No such document"}},
)
def get_document(doc_id: str, resources: ResourcesDep) -> DocumentOut:
    """All versions of one document with front matter and body, oldest first."""
    versions = resources.kb.get_document(doc_id)
    return DocumentOut(
        doc_id=doc_id,
        versions=[
            DocumentVersion(
                **summary(doc),
                front_matter=doc.front_matter.model_dump(mode="json", exclude_none=True),
                body=doc.body,
            )
            for doc in versions
        ],
    )
