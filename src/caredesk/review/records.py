"""Read drafts as domain values: current text, every version with its diff, every review."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caredesk.domain.drafts import (
    Audience,
    Draft,
    DraftKind,
    DraftState,
    DraftVersion,
    Provenance,
    Review,
    ReviewDecision,
)
from caredesk.domain.errors import NotFound
from caredesk.storage.models import DraftRecord, DraftReview, DraftVersionRecord


def draft_record(session: Session, draft_id: str) -> DraftRecord:
    row = session.get(DraftRecord, draft_id)
    if row is None:
        raise NotFound(f"no draft {draft_id}", draft_id=draft_id)
    return row


def latest_text_version(session: Session, draft_id: str) -> int:
    found = session.execute(
        select(func.max(DraftVersionRecord.number)).where(DraftVersionRecord.draft_id == draft_id)
    ).scalar_one()
    return int(found or 0)


def get_draft(session: Session, draft_id: str) -> Draft:
    return to_draft(session, draft_record(session, draft_id))


def to_draft(session: Session, row: DraftRecord) -> Draft:
    versions = _versions(session, row.id)
    return Draft(
        id=row.id,
        case_id=row.case_id,
        kind=DraftKind(row.kind),
        audience=Audience(row.audience),
        state=DraftState(row.state),
        version=row.version,
        text_version=versions[-1].number if versions else 1,
        content=row.content,
        fields_used=tuple(row.fields_used),
        provenance=Provenance.model_validate(row.provenance),
        flagged=row.flagged,
        reasons=tuple(row.reasons),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        versions=tuple(versions),
        reviews=tuple(_reviews(session, row.id)),
    )


def _versions(session: Session, draft_id: str) -> list[DraftVersion]:
    rows = session.execute(
        select(DraftVersionRecord)
        .where(DraftVersionRecord.draft_id == draft_id)
        .order_by(DraftVersionRecord.number)
    ).scalars()
    return [
        DraftVersion(
            number=v.number,
            content=v.content,
            diff=v.diff,
            fields_used=tuple(v.fields_used),
            author=v.author,
            created_at=v.created_at,
        )
        for v in rows
    ]


def _reviews(session: Session, draft_id: str) -> list[Review]:
    rows = session.execute(
        select(DraftReview).where(DraftReview.draft_id == draft_id).order_by(DraftReview.id)
    ).scalars()
    return [
        Review(
            decision=ReviewDecision(r.decision),
            reason=r.reason,
            reviewer=r.reviewer,
            draft_version=r.draft_version,
            created_at=r.created_at,
        )
        for r in rows
    ]


class DraftQuery(BaseModel):
    """Filters for draft listings; the review queue is `state=pending_review`, flagged first."""

    model_config = ConfigDict(frozen=True)

    case_id: str | None = None
    state: DraftState | None = None
    kind: DraftKind | None = None
    flagged: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def list_drafts(session: Session, query: DraftQuery) -> tuple[list[Draft], int]:
    """Drafts matching `query`: flagged first, then oldest first (the order to review them)."""
    stmt = select(DraftRecord)
    if query.case_id:
        stmt = stmt.where(DraftRecord.case_id == query.case_id)
    if query.state is not None:
        stmt = stmt.where(DraftRecord.state == query.state.value)
    if query.kind is not None:
        stmt = stmt.where(DraftRecord.kind == query.kind.value)
    if query.flagged is not None:
        stmt = stmt.where(DraftRecord.flagged.is_(query.flagged))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(
        stmt.order_by(DraftRecord.flagged.desc(), DraftRecord.created_at, DraftRecord.id)
        .limit(query.limit)
        .offset(query.offset)
    ).scalars()
    return [to_draft(session, row) for row in rows], int(total)
