"""A synthetic referral (PDF with known word boxes), its extraction, checklists and a fax note."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from caredesk.domain.documents import (
    BoundingBox,
    DocType,
    Evidence,
    ExtractedField,
    ExtractionResult,
)
from caredesk.domain.packets import (
    ChecklistItem,
    CitedEvidence,
    ItemAssessment,
    ItemStatus,
    PacketChecklist,
    PolicySource,
)

# Obviously fictional people with identifiers that pass their format checks.
PATIENT = "Testa Fakename"
DOB = date(1961, 4, 9)
MEMBER_ID = "QFH900123456"
ORDERING = "Dr. Quentin Placeholder"
ORDERING_NPI = "1588347207"
FACILITY = "Lanternview Imaging Center"
FACILITY_NPI = "1290458714"
PAGE_W, PAGE_H = letter
FONT, SIZE = "Helvetica", 11

# (field, label, printed value, normalized value)
REFERRAL_LINES: tuple[tuple[str, str, str, object], ...] = (
    ("patient_name", "Patient Name:", PATIENT, PATIENT),
    ("date_of_birth", "DOB:", "04/09/1961", DOB.isoformat()),
    ("member_id", "Member ID:", MEMBER_ID, MEMBER_ID),
    ("payer", "Insurance:", "Quillfeather Health", "quillfeather"),
    ("plan", "Plan:", "Quillfeather PPO", "Quillfeather PPO"),
    ("procedure_codes", "CPT/HCPCS:", "72148 x 1", [{"code": "72148", "units": 1}]),
    ("diagnosis_codes", "Diagnosis:", "M54.16, M51.26", ["M54.16", "M51.26"]),
    ("ordering_provider_name", "Ordering Provider:", ORDERING, ORDERING),
    ("ordering_provider_npi", "Ordering NPI:", ORDERING_NPI, ORDERING_NPI),
    ("rendering_provider_name", "Facility:", FACILITY, FACILITY),
    ("rendering_provider_npi", "Facility NPI:", FACILITY_NPI, FACILITY_NPI),
    ("urgency", "Priority:", "Standard", "standard"),
)
THERAPY = "Six weeks of physical therapy and NSAIDs failed to relieve the pain."
POLICY = PolicySource(
    doc_id="quillfeather-advanced-imaging", version="2026.1", section="Documentation checklist"
)


def _box(x: float, baseline: float, text: str) -> BoundingBox:
    """The box of `text` drawn at (x, baseline) in top-left page points."""
    top = PAGE_H - (baseline + SIZE * 0.8)
    bottom = PAGE_H - (baseline - SIZE * 0.25)
    right = x + stringWidth(text, FONT, SIZE)
    return BoundingBox(
        x0=x, y0=top, x1=right, y1=bottom, page_width=int(PAGE_W), page_height=int(PAGE_H)
    )


def referral_pdf(reference: str = "R-0001") -> tuple[bytes, dict[str, BoundingBox]]:
    """A two-page referral (letter size) and the box of every value on page 1; the
    reference number makes each referral a distinct document."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=letter, invariant=1)
    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawString(72, 730, "OUTPATIENT IMAGING REFERRAL (SYNTHETIC)")
    canvas.setFont(FONT, SIZE)
    boxes: dict[str, BoundingBox] = {}
    baseline = 690.0
    for field, label, printed, _ in REFERRAL_LINES:
        canvas.drawString(72, baseline, label)
        canvas.drawString(210, baseline, printed)
        boxes[field] = _box(210, baseline, printed)
        baseline -= 22
    canvas.drawString(72, baseline - 10, "Clinical reason:")
    canvas.drawString(72, baseline - 30, THERAPY)
    boxes["therapy"] = _box(72, baseline - 30, THERAPY)
    canvas.showPage()
    canvas.setFont(FONT, SIZE)
    canvas.drawString(72, 700, "Page 2: attestation and signature (synthetic).")
    canvas.drawString(72, 680, f"Reference #: {reference}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue(), boxes


def extraction_for(
    document_id: str, boxes: dict[str, BoundingBox], doc_type: DocType = DocType.REFERRAL
) -> ExtractionResult:
    """What ingestion would have read off `referral_pdf`, each field with its evidence."""
    fields = {
        field: ExtractedField(
            name=field,
            value=printed,
            normalized=normalized,
            confidence=0.93,
            evidence=Evidence(
                document_id=document_id,
                page=1,
                bbox=boxes[field],
                ocr_confidence=96.0,
                extractor="referral-layout-v1",
            ),
        )
        for field, _, printed, normalized in REFERRAL_LINES
    }
    return ExtractionResult(
        document_id=document_id, doc_type=doc_type, doc_type_confidence=0.97, fields=fields
    )


def checklist_for(
    case_id: str,
    document_id: str,
    boxes: dict[str, BoundingBox],
    *,
    missing: tuple[str, ...] = (),
    unclear: tuple[str, ...] = (),
) -> PacketChecklist:
    """The advanced-imaging checklist: conservative therapy, neuro exam, diagnoses, orderer."""
    wanted = (
        ("conservative-therapy", "Six weeks of failed conservative therapy", "clinical", "therapy"),
        ("neuro-exam", "A neurological examination within 30 days", "clinical", None),
        (
            "diagnosis-codes",
            "ICD-10-CM codes supporting the study",
            "documentation",
            "diagnosis_codes",
        ),
        (
            "ordering-provider",
            "Ordering provider name and NPI",
            "administrative",
            "ordering_provider_npi",
        ),
    )
    items = []
    for item_id, text, kind, box in wanted:
        status = ItemStatus.MET
        if item_id in missing or box is None:
            status = ItemStatus.MISSING
        if item_id in unclear:
            status = ItemStatus.UNCLEAR
        cited = (
            (CitedEvidence(document_id=document_id, page=1, bbox=boxes[box], quote=text[:40]),)
            if status is ItemStatus.MET and box is not None
            else ()
        )
        item = ChecklistItem(id=item_id, text=text, kind=kind, source=POLICY)
        items.append(ItemAssessment(item=item, status=status, evidence=cited))
    return PacketChecklist(
        case_id=case_id,
        payer="quillfeather",
        service_codes=("72148",),
        policies=(POLICY,),
        items=tuple(items),
    )


def complete_checklist(
    case_id: str, document_id: str, boxes: dict[str, BoundingBox]
) -> PacketChecklist:
    """Every item met (the neuro exam cited from the therapy line for the test's sake)."""
    partial = checklist_for(case_id, document_id, boxes)
    items = tuple(
        item
        if item.status is ItemStatus.MET
        else item.model_copy(
            update={
                "status": ItemStatus.MET,
                "evidence": (
                    CitedEvidence(document_id=document_id, page=1, bbox=boxes["therapy"]),
                ),
            }
        )
        for item in partial.items
    )
    return partial.model_copy(update={"items": items})


def fax_tiff(pages: int = 2) -> bytes:
    """A G4 fax TIFF with a line of text per page (a clinical note)."""
    frames = []
    for n in range(pages):
        frame = Image.new("L", (1700, 2200), 255)
        ImageDraw.Draw(frame).text((150, 200), f"CLINICAL NOTE (synthetic) page {n + 1}", fill=0)
        frames.append(frame.convert("1"))
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="group4",
        dpi=(200, 200),
    )
    return buffer.getvalue()
