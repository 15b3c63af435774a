"""What ingestion found in a document: pages, words, page images, fields; corrections, re-runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.routers.documents import get_document_or_404
from caredesk.audit.log import record
from caredesk.domain.documents import BoundingBox, ExtractedField, PageResult
from caredesk.domain.errors import Conflict, InputRejected, NotFound
from caredesk.domain.roles import DOCUMENT_READERS, UPLOADERS
from caredesk.ingest.render import render_page
from caredesk.ingest.store import field_json, load_fields
from caredesk.ingest.tasks import EXTRACT_JOB
from caredesk.storage.db import transaction
from caredesk.storage.models import DocumentExtraction, DocumentField, DocumentPage

router = APIRouter(prefix="/documents", tags=["documents"])


class PageOut(BaseModel):
    number: int
    status: str
    reason: str
    quality: str
    mean_confidence: float
    word_count: int
    source: str
    width: int
    height: int
    rotation: int


class WordOut(BaseModel):
    text: str
    bbox: list[float] = Field(description="x0, y0, x1, y1 in page pixels (see page width/height)")
    confidence: float
    line: int
    block: int


class WordPage(BaseModel):
    items: list[WordOut]
    total: int
    page_width: int
    page_height: int


class FieldsOut(BaseModel):
    doc_type: str | None
    doc_type_confidence: float | None
    fields: list[dict[str, Any]] = Field(
        description="Each field: value, normalized, confidence, evidence (page, bbox, OCR "
        "confidence, extractor), validation issues, source (extracted|corrected), original"
    )
    line_items: list[dict[str, Any]]
    warnings: list[str]


class FieldCorrection(BaseModel):
    value: str = Field(min_length=1, max_length=2000, description="The value as it should read")
    normalized: Any = Field(
        None, description="Normalized form (ISO date, decimal...); defaults to the value"
    )
    note: str = Field("", max_length=500, description="Why it was corrected")


def _page_row(resources: ResourcesDep, document_id: str, number: int) -> PageResult:
    with resources.read_db() as session:
        result = session.execute(
            select(DocumentPage.result).where(
                DocumentPage.document_id == document_id, DocumentPage.number == number
            )
        ).scalar_one_or_none()
    if result is None:
        raise NotFound(f"page {number} of {document_id} has not been read")
    return PageResult.model_validate(result)


@router.get(
    "/{document_id}/pages",
    dependencies=[allow(DOCUMENT_READERS)],
    response_model=list[PageOut],
    summary="Pages as read, with quality grades",
)
def list_pages(document_id: str, resources: ResourcesDep) -> list[PageOut]:
    """Every page read so far: status (ok or unreadable with the reason), OCR quality grade,
    mean confidence, how it was read (text layer or OCR) and the rotation applied."""
    get_document_or_404(resources, document_id)
    with resources.read_db() as session:
        rows = (
            session.execute(
                select(DocumentPage.result)
                .where(DocumentPage.document_id == document_id)
                .order_by(DocumentPage.number)
            )
            .scalars()
            .all()
        )
    pages = [PageResult.model_validate(row) for row in rows]
    return [
        PageOut(
            number=p.number,
            status=p.status.value,
            reason=p.reason,
            quality=p.quality.value,
            mean_confidence=p.mean_confidence,
            word_count=len(p.words),
            source=p.source.value,
            width=p.width,
            height=p.height,
            rotation=p.rotation,
        )
        for p in pages
    ]


@router.get(
    "/{document_id}/pages/{number}/words",
    dependencies=[allow(DOCUMENT_READERS)],
    response_model=WordPage,
    summary="OCR words of one page",
)
def list_words(
    document_id: str,
    number: int,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> WordPage:
    """Words with box, confidence, line and block, in reading order; paged. Audited (PHI)."""
    page = _page_row(resources, document_id, number)
    with transaction(resources.db) as session:
        record(
            session,
            principal.actor,
            "document.read_words",
            "document",
            document_id,
            {"page": number},
        )
    words = page.words[offset : offset + limit]
    return WordPage(
        items=[
            WordOut(
                text=w.text,
                bbox=w.bbox.as_list(),
                confidence=w.confidence,
                line=w.line,
                block=w.block,
            )
            for w in words
        ],
        total=len(page.words),
        page_width=page.width,
        page_height=page.height,
    )


def _parse_box(text: str, page: PageResult) -> BoundingBox:
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise InputRejected("highlight must be four numbers: x0,y0,x1,y1") from None
    return BoundingBox(x0=x0, y0=y0, x1=x1, y1=y1, page_width=page.width, page_height=page.height)


@router.get(
    "/{document_id}/pages/{number}/image",
    dependencies=[allow(DOCUMENT_READERS)],
    summary="A page as a PNG, optionally with a highlighted box",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The rendered page"}},
)
def page_image(
    document_id: str,
    number: int,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    width: Annotated[int, Query(ge=100, le=2400)] = 1000,
    highlight: Annotated[str | None, Query(description="x0,y0,x1,y1 in page pixels")] = None,
    field: Annotated[str | None, Query(description="Highlight this field's evidence box")] = None,
) -> Response:
    """The page turned upright as OCR read it, `width` pixels wide. `highlight` draws a box in
    the page's own pixel coordinates; `field` draws that field's evidence box. Audited."""
    document = get_document_or_404(resources, document_id)
    page = _page_row(resources, document_id, number)
    boxes = [_parse_box(highlight, page)] if highlight else []
    if field:
        boxes.extend(_field_boxes(resources, document_id, field, number))
    content = resources.blobs.read_bytes(document.sha256)
    png = render_page(
        content, document.media_type, number, width=width, rotation=page.rotation, boxes=boxes
    )
    with transaction(resources.db) as session:
        record(
            session,
            principal.actor,
            "document.view_page",
            "document",
            document_id,
            {"page": number},
        )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _field_boxes(
    resources: ResourcesDep, document_id: str, name: str, page: int
) -> list[BoundingBox]:
    with resources.read_db() as session:
        row = session.execute(
            select(DocumentField).where(
                DocumentField.document_id == document_id, DocumentField.name == name
            )
        ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no field {name!r} on {document_id}")
    evidence = ExtractedField.model_validate(row.field).evidence
    return [evidence.bbox] if evidence is not None and evidence.page == page else []


@router.get(
    "/{document_id}/fields",
    dependencies=[allow(DOCUMENT_READERS)],
    response_model=FieldsOut,
    summary="Extracted fields with their evidence",
)
def get_fields(document_id: str, resources: ResourcesDep, principal: CurrentPrincipal) -> FieldsOut:
    """Document type, every field with raw and normalized value, confidence, evidence and
    validation issues (corrections shown with the original kept), line items, warnings.
    Audited (PHI)."""
    get_document_or_404(resources, document_id)
    with resources.read_db() as session:
        extraction = session.get(DocumentExtraction, document_id)
        fields = [field_json(row) for row in load_fields(session, document_id)]
    with transaction(resources.db) as session:
        record(session, principal.actor, "document.read_fields", "document", document_id)
    return FieldsOut(
        doc_type=extraction.doc_type if extraction else None,
        doc_type_confidence=extraction.doc_type_confidence if extraction else None,
        fields=fields,
        line_items=extraction.line_items if extraction else [],
        warnings=extraction.warnings if extraction else [],
    )


@router.patch(
    "/{document_id}/fields/{name}",
    dependencies=[allow(UPLOADERS)],
    summary="Correct a field (audited; the original is kept)",
)
def correct_field(
    document_id: str,
    name: str,
    body: FieldCorrection,
    resources: ResourcesDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Set the field's value as a person read it. The extracted original stays beside it, the
    evidence box is kept, confidence becomes 1, and the change is audited with before/after."""
    get_document_or_404(resources, document_id)
    with transaction(resources.db) as session:
        row = session.execute(
            select(DocumentField).where(
                DocumentField.document_id == document_id, DocumentField.name == name
            )
        ).scalar_one_or_none()
        before = None if row is None else dict(row.field)
        corrected = _corrected(document_id, name, body, before)
        if row is None:
            row = DocumentField(document_id=document_id, name=name, field=corrected)
            session.add(row)
        elif row.source == "extracted":
            row.original = before
        row.field, row.source = corrected, "corrected"
        row.corrected_by, row.correction_note = principal.user_id, body.note
        session.flush()
        record(
            session,
            principal.actor,
            "document.field_corrected",
            "document",
            document_id,
            {"field": name, "had_value": before is not None, "note_given": bool(body.note)},
        )
        return field_json(row)


def _corrected(
    document_id: str, name: str, body: FieldCorrection, before: dict[str, Any] | None
) -> dict[str, Any]:
    previous = ExtractedField.model_validate(before) if before else None
    field = ExtractedField(
        name=name,
        value=body.value,
        normalized=body.normalized if body.normalized is not None else body.value,
        confidence=1.0,
        evidence=previous.evidence if previous else None,
    )
    return field.model_dump(mode="json")


class ReextractOut(BaseModel):
    job_id: str
    status: str


@router.post(
    "/{document_id}/extract",
    dependencies=[allow(UPLOADERS)],
    status_code=202,
    response_model=ReextractOut,
    summary="Re-run classification and extraction",
)
def reextract(
    document_id: str, resources: ResourcesDep, principal: CurrentPrincipal
) -> ReextractOut:
    """Classify and extract again from the stored pages (no new OCR); corrections stay."""
    get_document_or_404(resources, document_id)
    with transaction(resources.db) as session:
        pages = session.execute(
            select(func.count())
            .select_from(DocumentPage)
            .where(DocumentPage.document_id == document_id)
        ).scalar_one()
        if not pages:
            raise Conflict("the document has no pages read yet; wait for ingestion to finish")
        job = resources.queue.enqueue(
            session, EXTRACT_JOB, f"extract:{document_id}", {"document_id": document_id}
        )
        record(
            session,
            principal.actor,
            "document.reextract",
            "document",
            document_id,
            {"job_id": job.id, "at": datetime.now(UTC).isoformat()},
        )
        return ReextractOut(job_id=job.id, status=job.status)
