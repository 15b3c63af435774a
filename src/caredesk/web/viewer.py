"""The document viewer's model: pages, fields with their evidence boxes, what to highlight."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caredesk.accounts.service import Principal
from caredesk.api.resources import Resources
from caredesk.api.routers.document_content import PageOut, get_fields, list_pages
from caredesk.api.routers.documents import DocumentDetail
from caredesk.domain.cases import CASE_SOURCE_TYPES
from caredesk.domain.documents import DocumentStatus, OcrWord, PageResult
from caredesk.domain.roles import CASE_WORKERS, UPLOADERS, Role
from caredesk.storage.models import CaseDocument, DocumentPage, User
from caredesk.web.formatting import field_label

CASE_OPENERS = frozenset({Role.INTAKE, Role.COORDINATOR, Role.ADMIN})
SETTLED = frozenset({DocumentStatus.READY, DocumentStatus.NEEDS_ATTENTION})
IMAGE_WIDTH = 1200  # pixels: sharp enough to read small print when the viewer is wide


@dataclass(frozen=True)
class Box:
    """A rectangle in one page's own pixel coordinates (the SVG overlay's viewBox)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return max(self.x1 - self.x0, 1.0)

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)

    @property
    def data(self) -> str:
        """As links and data attributes carry it: `x0,y0,x1,y1`."""
        return ",".join(f"{v:.1f}" for v in (self.x0, self.y0, self.x1, self.y1))

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )


def parse_box(text: str) -> Box | None:
    """`x0,y0,x1,y1` from a link; None when it is not four numbers making a box."""
    try:
        x0, y0, x1, y1 = (float(part) for part in text.split(","))
    except ValueError:
        return None
    return Box(x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


@dataclass(frozen=True)
class PageView:
    number: int
    width: int
    height: int
    status: str
    reason: str
    quality: str
    source: str
    word_count: int

    @property
    def readable(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class FieldView:
    """One extracted field as the viewer lists it, with why a person should look at it."""

    name: str
    label: str
    value: str
    normalized: str
    confidence: float
    page: int | None
    box: Box | None
    low_confidence: bool
    issues: tuple[str, ...]
    corrected: bool
    original_value: str | None
    corrected_by: str
    note: str
    extractor: str

    @property
    def needs_look(self) -> bool:
        return self.low_confidence or bool(self.issues)


@dataclass(frozen=True)
class CaseLink:
    case_id: str
    role: str  # source | attached


@dataclass
class Viewer:
    """Everything the viewer template shows for one document."""

    ready: bool
    pages: list[PageView] = field(default_factory=list)
    page: PageView | None = None
    highlights: list[Box] = field(default_factory=list)
    highlight_label: str = ""
    focus_field: str = ""
    fields: list[FieldView] = field(default_factory=list)
    line_items: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    threshold: float = 0.9
    image_width: int = IMAGE_WIDTH
    cases: list[CaseLink] = field(default_factory=list)
    can_correct: bool = False
    can_open_case: bool = False
    can_read_cases: bool = False

    @property
    def pages_json(self) -> list[dict[str, int]]:
        return [{"n": p.number, "w": p.width, "h": p.height} for p in self.pages]

    @property
    def source_case(self) -> str | None:
        return next((link.case_id for link in self.cases if link.role == "source"), None)


def _page_view(page: PageOut) -> PageView:
    return PageView(
        page.number,
        page.width,
        page.height,
        page.status,
        page.reason,
        page.quality,
        page.source,
        page.word_count,
    )


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_shown(item)}" for key, item in value.items())
    return str(value)


def _evidence_box(evidence: Mapping[str, Any] | None, pages: Mapping[int, PageView]) -> Box | None:
    """The evidence box in its page's coordinates (scaled when it was measured at another size)."""
    if not evidence or evidence.get("page") not in pages:
        return None
    bbox, page = evidence["bbox"], pages[evidence["page"]]
    sx = page.width / bbox["page_width"] if bbox.get("page_width") else 1.0
    sy = page.height / bbox["page_height"] if bbox.get("page_height") else 1.0
    return Box(bbox["x0"] * sx, bbox["y0"] * sy, bbox["x1"] * sx, bbox["y1"] * sy)


def field_view(
    raw: Mapping[str, Any],
    pages: Mapping[int, PageView],
    threshold: float,
    names: Mapping[str, str],
) -> FieldView:
    """A field as the fields API returns it, judged against the auto-accept threshold."""
    evidence = raw.get("evidence")
    original = raw.get("original")
    confidence = float(raw.get("confidence") or 0.0)
    corrected = raw.get("source") == "corrected"
    normalized = _shown(raw.get("normalized"))
    return FieldView(
        name=raw["name"],
        label=field_label(raw["name"]),
        value=_shown(raw.get("value")),
        normalized=normalized if normalized != _shown(raw.get("value")) else "",
        confidence=confidence,
        page=evidence["page"] if evidence else None,
        box=_evidence_box(evidence, pages),
        low_confidence=not corrected and confidence < threshold,
        issues=tuple(issue["reason"] for issue in raw.get("validation") or ()),
        corrected=corrected,
        original_value=_shown(original.get("value")) if corrected and original else None,
        corrected_by=names.get(raw.get("corrected_by") or "", raw.get("corrected_by") or ""),
        note=raw.get("correction_note") or "",
        extractor=evidence.get("extractor", "") if evidence else "",
    )


def _reading_order(view: FieldView) -> tuple[int, float, float, str]:
    """Fields as they appear on the paper: page, then top to bottom, then left to right."""
    if view.box is None or view.page is None:
        return (1 << 30, 0.0, 0.0, view.name)
    return (view.page, round(view.box.y0 / 8), view.box.x0, view.name)


def _usernames(session: Session, ids: Sequence[str]) -> dict[str, str]:
    wanted = [user_id for user_id in ids if user_id]
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


def _case_links(session: Session, document_id: str) -> list[CaseLink]:
    rows = session.execute(
        select(CaseDocument.case_id, CaseDocument.role).where(
            CaseDocument.document_id == document_id
        )
    )
    return [CaseLink(case_id, role) for case_id, role in rows]


def page_words(session: Session, document_id: str, number: int) -> tuple[OcrWord, ...]:
    result = session.execute(
        select(DocumentPage.result).where(
            DocumentPage.document_id == document_id, DocumentPage.number == number
        )
    ).scalar_one_or_none()
    return PageResult.model_validate(result).words if result is not None else ()


def quote_boxes(words: Sequence[OcrWord], start: int, end: int) -> list[Box]:
    """Boxes (one per line) over the words of a page whose text spans [start, end).

    A page's text is its words joined by single spaces (`PageResult.text`), which is what
    the copilot's case-document citations count offsets in.
    """
    lines: dict[tuple[int, int], Box] = {}
    offset = 0
    for word in words:
        word_end = offset + len(word.text)
        if offset < end and word_end > start:
            box = Box(word.bbox.x0, word.bbox.y0, word.bbox.x1, word.bbox.y1)
            key = (word.block, word.line)
            lines[key] = lines[key].union(box) if key in lines else box
        offset = word_end + 1
    return list(lines.values())


def _rescaled(box: Box | None, size: str, page: PageView) -> Box | None:
    """A box measured on a page `W,H` pixels large, in the coordinates of `page`."""
    try:
        width, height = (float(part) for part in size.split(","))
    except ValueError:
        return box
    if box is None or width <= 0 or height <= 0:
        return box
    sx, sy = page.width / width, page.height / height
    return Box(box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy)


def _int(params: Mapping[str, str], name: str) -> int | None:
    try:
        return int(params.get(name, ""))
    except ValueError:
        return None


def _focus(viewer: Viewer, params: Mapping[str, str], session: Session, document_id: str) -> None:
    """The page to show and what to highlight on it, from the link that opened the page."""
    numbers = {page.number: page for page in viewer.pages}
    wanted = _int(params, "page")
    chosen = next((f for f in viewer.fields if f.name == params.get("field")), None)
    if chosen is not None and chosen.box is not None and chosen.page in numbers:
        viewer.focus_field, wanted = chosen.name, chosen.page
        viewer.highlights, viewer.highlight_label = [chosen.box], chosen.label
    viewer.page = numbers.get(wanted or 0) or (viewer.pages[0] if viewer.pages else None)
    if viewer.page is None or viewer.highlights:
        return
    box = _rescaled(parse_box(params.get("box", "")), params.get("size", ""), viewer.page)
    start, end = _int(params, "start"), _int(params, "end")
    if box is not None:
        viewer.highlights, viewer.highlight_label = [box], params.get("label", "evidence")[:80]
    elif start is not None and end is not None and end > start:
        words = page_words(session, document_id, viewer.page.number)
        viewer.highlights, viewer.highlight_label = quote_boxes(words, start, end), "quote"


def build_viewer(
    resources: Resources,
    principal: Principal,
    document: DocumentDetail,
    status: DocumentStatus,
    params: Mapping[str, str],
) -> Viewer:
    """The viewer for a document whose reading is over; a placeholder while it is not."""
    threshold = resources.settings.auto_accept_threshold
    if status not in SETTLED:
        return Viewer(ready=False, threshold=threshold)
    pages = [_page_view(page) for page in list_pages(document.id, resources)]
    by_number = {page.number: page for page in pages}
    found = get_fields(document.id, resources, principal)
    with resources.read_db() as session:
        names = _usernames(session, [str(raw.get("corrected_by") or "") for raw in found.fields])
        fields = [field_view(raw, by_number, threshold, names) for raw in found.fields]
        viewer = Viewer(
            ready=True,
            pages=pages,
            fields=sorted(fields, key=_reading_order),
            line_items=found.line_items,
            warnings=found.warnings,
            threshold=threshold,
            cases=_case_links(session, document.id),
            can_correct=principal.role in UPLOADERS,
            can_read_cases=principal.role in CASE_WORKERS,
        )
        _focus(viewer, params, session, document.id)
    viewer.can_open_case = _may_open_case(principal, document, viewer)
    return viewer


def _may_open_case(principal: Principal, document: DocumentDetail, viewer: Viewer) -> bool:
    """A referral or PA request no case was opened from yet, and a role that opens cases."""
    return (
        principal.role in CASE_OPENERS
        and document.doc_type in CASE_SOURCE_TYPES
        and viewer.source_case is None
    )
