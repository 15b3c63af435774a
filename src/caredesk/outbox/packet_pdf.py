"""The packet as a PDF: cover sheet, checklist table, evidence snippets, the source pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from xml.sax.saxutils import escape

from PIL import Image as PilImage
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from caredesk.domain.errors import CaredeskError, InputRejected
from caredesk.domain.packets import CitedEvidence, ItemAssessment, ItemStatus
from caredesk.outbox.packet import Packet, PacketDocument
from caredesk.outbox.page_images import crop_evidence, page_count, render_page
from caredesk.storage.blobs import BlobStore

_STYLES = getSampleStyleSheet()
_BODY = _STYLES["BodyText"]
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=9, leading=11)
_STATUS_COLOURS = {
    ItemStatus.MET: colors.HexColor("#d9f2d9"),
    ItemStatus.MISSING: colors.HexColor("#f8d7da"),
    ItemStatus.UNCLEAR: colors.HexColor("#fff3cd"),
}
_PHI_NOTICE = (
    "Contains protected health information: the minimum necessary for the payer's "
    "prior-authorization review. Not for other use."
)
_SNIPPET_MAX = (6.5 * inch, 2.2 * inch)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
    ]
)


class _PageCache:
    """Each source page is rendered once however many snippets come from it."""

    def __init__(self, packet: Packet, blobs: BlobStore) -> None:
        self._documents = {document.id: document for document in packet.documents}
        self._blobs = blobs
        self._pages: dict[tuple[str, int], PilImage.Image] = {}

    def page(self, document_id: str, number: int) -> PilImage.Image:
        key = (document_id, number)
        if key not in self._pages:
            document = self._documents.get(document_id)
            if document is None:
                raise InputRejected(f"document {document_id} is not part of this case")
            content = self._blobs.read_bytes(document.sha256)
            self._pages[key] = render_page(content, document.media_type, number)
        return self._pages[key]


def render_packet_pdf(packet: Packet, blobs: BlobStore, *, max_snippets: int = 40) -> bytes:
    """The whole packet: summary pages first, then every page of every case document."""
    sources = [(document, _source_pdf(document, blobs)) for document in packet.documents]
    counts = [len(PdfReader(io.BytesIO(pdf)).pages) for _, pdf in sources]
    cache = _PageCache(packet, blobs)
    summary = _summary(packet, cache, counts, first_source_page=1, max_snippets=max_snippets)
    summary_pages = len(PdfReader(io.BytesIO(summary)).pages)
    # The cover lists where each attachment starts; that depends on the summary's length.
    summary = _summary(packet, cache, counts, summary_pages + 1, max_snippets)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(summary)))
    for _, pdf in sources:
        writer.append(PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": f"PA packet {packet.case.id}", "/Producer": "caredesk"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _summary(
    packet: Packet,
    cache: _PageCache,
    counts: list[int],
    first_source_page: int,
    max_snippets: int,
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        invariant=True,
        title=f"PA packet {packet.case.id}",
        author="caredesk",
        leftMargin=0.8 * inch,
        rightMargin=0.8 * inch,
        topMargin=0.7 * inch,
        bottomMargin=0.7 * inch,
    )
    story: list[Flowable] = [*_cover(packet, counts, first_source_page), PageBreak()]
    story += _checklist(packet)
    story += _snippets(packet, cache, max_snippets)
    doc.build(story)
    return buffer.getvalue()


def _p(text: object, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _cover(packet: Packet, counts: list[int], first_source_page: int) -> list[Flowable]:
    table = Table(
        [[_p(k), _p(v)] for k, v in _cover_rows(packet)], colWidths=[1.6 * inch, 5.2 * inch]
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
    return [
        Paragraph("Prior-authorization request packet", _STYLES["Title"]),
        _p(f"{packet.payer_name} · generated {packet.generated_at:%Y-%m-%d %H:%M} UTC", _BODY),
        Spacer(1, 0.15 * inch),
        table,
        Spacer(1, 0.2 * inch),
        Paragraph("Attached documents", _STYLES["Heading3"]),
        *_attachments(packet.documents, counts, first_source_page),
        Spacer(1, 0.2 * inch),
        _p(_PHI_NOTICE, _SMALL),
    ]


def _cover_rows(packet: Packet) -> list[tuple[str, object]]:
    case = packet.case
    clock = f" (payer clock: {case.payer_clock.source})" if case.payer_clock else " (CMS-0057-F)"
    plan = case.raw("plan")
    ordering, rendering = case.ordering_provider, case.rendering_provider
    return [
        ("Case", f"{case.id} — status {case.status.value}"),
        ("Urgency", case.effective_urgency.value),
        ("Received", case.received_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Decision due", case.due_at.strftime("%Y-%m-%d %H:%M UTC") + clock),
        ("Patient", case.raw("patient_name") or "—"),
        ("Date of birth", case.raw("date_of_birth") or "—"),
        ("Member ID", case.raw("member_id") or "—"),
        ("Payer", packet.payer_name + (f" — {plan}" if plan else "")),
        ("Services", ", ".join(f"{s.code} × {s.units}" for s in case.service_lines) or "—"),
        ("Diagnoses", ", ".join(case.diagnoses) or "—"),
        ("Ordering provider", _provider(ordering.name, ordering.npi)),
        ("Rendering provider", _provider(rendering.name, rendering.npi)),
        ("Date of service", case.raw("date_of_service") or "—"),
        ("Routing", _routing(packet)),
    ]


def _provider(name: str | None, npi: str | None) -> str:
    if not name and not npi:
        return "—"
    return f"{name or 'unnamed'}" + (f" (NPI {npi})" if npi else "")


def _routing(packet: Packet) -> str:
    if packet.assessment is None:
        return "not assessed yet"
    routing = packet.assessment.routing
    if not routing.flagged:
        return f"ready — every item met (confidence {routing.confidence:.2f})"
    return "needs review — " + "; ".join(routing.reasons)


def _attachments(
    documents: tuple[PacketDocument, ...], counts: list[int], first_page: int
) -> list[Flowable]:
    if not documents:
        return [_p("none", _BODY)]
    lines, start = [], first_page
    for n, (document, pages) in enumerate(zip(documents, counts, strict=True), start=1):
        kind = document.doc_type or "document"
        plural = "s" if pages != 1 else ""
        where = f"packet pages {start}–{start + pages - 1}"
        lines.append(
            _p(f"{n}. {document.filename} ({kind}, {pages} page{plural}) — {where}", _BODY)
        )
        start += pages
    return lines


def _checklist(packet: Packet) -> list[Flowable]:
    story: list[Flowable] = [Paragraph("Documentation checklist", _STYLES["Heading2"])]
    if packet.assessment is None:
        return [*story, _p("The case has not been assessed yet.", _BODY)]
    checklist = packet.assessment.checklist
    counts = checklist.counts()
    policies = ", ".join(p.ref for p in checklist.policies) or "none"
    tally = f"{counts['met']} met · {counts['missing']} missing · {counts['unclear']} unclear"
    story.append(_p(f"{tally} — policies: {policies}", _BODY))
    names = {document.id: document.filename for document in packet.documents}
    header = [_p("Item"), _p("Status"), _p("Evidence"), _p("Policy")]
    rows: list[list[Paragraph]] = [header]
    rows += [_item_row(item, names) for item in checklist.items]
    table = Table(rows, colWidths=[2.7 * inch, 0.75 * inch, 1.3 * inch, 2.15 * inch], repeatRows=1)
    style = TableStyle(_GRID.getCommands())
    for n, item in enumerate(checklist.items, start=1):
        style.add("BACKGROUND", (1, n), (1, n), _STATUS_COLOURS[item.status])
    table.setStyle(style)
    return [*story, Spacer(1, 0.1 * inch), table]


def _item_row(item: ItemAssessment, names: dict[str, str]) -> list[Paragraph]:
    cited = "; ".join(
        f"{names.get(e.document_id, e.document_id)} p.{e.page}" for e in item.evidence
    )
    text = item.item.text + (f" — {item.rationale}" if item.rationale else "")
    source = item.item.source
    policy = Paragraph(
        f"{escape(source.doc_id)}@{escape(source.version)}<br/>{escape(source.section)}", _SMALL
    )
    return [_p(text), _p(item.status.value.upper()), _p(cited or "—"), policy]


def _snippets(packet: Packet, cache: _PageCache, limit: int) -> list[Flowable]:
    if packet.assessment is None:
        return []
    names = {document.id: document.filename for document in packet.documents}
    story: list[Flowable] = [Spacer(1, 0.2 * inch), Paragraph("Evidence", _STYLES["Heading2"])]
    for n, (item, evidence) in enumerate(_cited(packet)):
        if n >= limit:
            story.append(_p(f"(further evidence omitted: the first {limit} snippets are shown)"))
            break
        where = f"{names.get(evidence.document_id, evidence.document_id)}, page {evidence.page}"
        quote = f" — “{evidence.quote}”" if evidence.quote else ""
        caption = _p(f"{item.item.id}: {where}{quote}", _SMALL)
        story.append(KeepTogether([caption, _snippet(cache, evidence), Spacer(1, 0.1 * inch)]))
    return story


def _cited(packet: Packet) -> Iterator[tuple[ItemAssessment, CitedEvidence]]:
    assert packet.assessment is not None
    for item in packet.assessment.checklist.items:
        for evidence in item.evidence:
            yield item, evidence


def _snippet(cache: _PageCache, evidence: CitedEvidence) -> Flowable:
    try:
        crop = crop_evidence(cache.page(evidence.document_id, evidence.page), evidence.bbox)
    except CaredeskError as exc:
        return _p(f"(page image unavailable: {exc.reason})", _SMALL)
    buffer = io.BytesIO()
    crop.save(buffer, format="PNG")
    buffer.seek(0)
    scale = min(_SNIPPET_MAX[0] / crop.width, _SNIPPET_MAX[1] / crop.height, 72 / 110)
    image = Image(buffer, width=crop.width * scale, height=crop.height * scale)
    # A thin frame shows where the crop of the page ends.
    framed = Table([[image]], hAlign="LEFT")
    framed.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey)]))
    return framed


def _source_pdf(document: PacketDocument, blobs: BlobStore) -> bytes:
    """The document's pages as PDF pages: a PDF as it is, images one frame per page. A
    document that cannot be attached gets one page saying so; the packet still builds."""
    try:
        content = blobs.read_bytes(document.sha256)
    except CaredeskError as exc:
        return _notice_pdf(f"{document.filename}: {exc.reason}")
    if document.media_type == "application/pdf":
        try:
            PdfReader(io.BytesIO(content))
            return content
        except PdfReadError:
            return _notice_pdf(f"{document.filename}: the PDF could not be read for attachment")
    try:
        return _image_pdf(document, content)
    except CaredeskError as exc:
        return _notice_pdf(f"{document.filename}: {exc.reason}")


def _image_pdf(document: PacketDocument, content: bytes) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    width, height = letter
    pages = page_count(content, document.media_type)
    for number in range(1, pages + 1):
        image = render_page(content, document.media_type, number)
        scale = min((width - 36) / image.width, (height - 48) / image.height)
        w, h = image.width * scale, image.height * scale
        pdf.drawImage(ImageReader(image), (width - w) / 2, height - 30 - h, w, h)
        pdf.setFont("Helvetica", 7)
        pdf.drawString(18, 12, f"{document.filename} — page {number} of {pages}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _notice_pdf(message: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    pdf.drawString(72, 720, message)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
