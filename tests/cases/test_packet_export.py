"""Packet export: a PDF (cover, checklist, evidence crops, source pages) and a FHIR PAS Bundle."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from tests.cases.builders import checklist_for, extraction_for, fax_tiff, referral_pdf
from tests.cases.conftest import INTAKE, REVIEWER, Referral, open_referral_case, upload

from caredesk.api.resources import Resources
from caredesk.domain.cases import Case, CaseValue, ValueSource
from caredesk.domain.documents import DocType
from caredesk.domain.drafts import Provenance
from caredesk.domain.packets import route
from caredesk.domain.roles import Role
from caredesk.outbox.fhir_pas import build_pas_bundle
from caredesk.outbox.packet import Packet, PacketDocument, payer_directory
from caredesk.outbox.packet_pdf import render_packet_pdf
from caredesk.storage.blobs import BlobStore
from caredesk.storage.db import transaction
from caredesk.worklist.assessments import RecordedAssessment, record_assessment
from caredesk.worklist.cases import attach_document

GOLDEN = Path(__file__).parents[1] / "golden" / "packets"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
KB = Path(__file__).parents[2] / "knowledge_base"
Auth = dict[Role, dict[str, str]]


def _assess(resources: Resources, referral: Referral, case_id: str) -> None:
    checklist = checklist_for(case_id, referral.document_id, referral.boxes)
    with transaction(resources.db) as session:
        record_assessment(
            session,
            case_id,
            checklist,
            route(checklist, 0.9, 0.8),
            Provenance(prompt="agent.assess@1", engine="offline", confidence=0.9),
            actor=REVIEWER,
        )


def test_the_pdf_packet_has_cover_checklist_evidence_and_every_source_page(
    client: TestClient, auth: Auth, resources: Resources, referral: Referral
) -> None:
    case = open_referral_case(resources, referral)
    note = upload(resources, fax_tiff(2), "note.tif")
    with transaction(resources.db) as session:
        attach_document(session, case.id, note, actor=INTAKE)
    _assess(resources, referral, case.id)
    response = client.get(f"/api/cases/{case.id}/packet.pdf", headers=auth[Role.COORDINATOR])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    # cover + checklist + 2 referral pages + 2 fax pages
    assert len(reader.pages) == 1 + 1 + 2 + 2
    cover, checklist = (page.extract_text() for page in reader.pages[:2])
    assert "Prior-authorization request packet" in cover and case.id in cover
    assert "packet pages 3–4" in cover and "packet pages 5–6" in cover
    for text in ("MET", "MISSING", "conservative-therapy", "referral.pdf p.1", "Evidence"):
        assert text in checklist
    assert len(reader.pages[1].images) == 3  # one crop per cited item
    assert "Page 2: attestation" in reader.pages[3].extract_text()
    events = client.get(
        f"/api/audit/events?object_id={case.id}&action=case.export", headers=auth[Role.REVIEWER]
    ).json()["items"]
    assert [e["details"]["format"] for e in events] == ["pdf"]


def test_the_fhir_packet_is_a_valid_pas_request(
    client: TestClient, auth: Auth, resources: Resources, referral: Referral
) -> None:
    case = open_referral_case(resources, referral)
    _assess(resources, referral, case.id)
    response = client.get(f"/api/cases/{case.id}/packet.fhir.json", headers=auth[Role.REVIEWER])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "collection"
    entries: list[Any] = list(bundle.entry or [])
    claim: Any = entries[0].resource
    assert claim.get_resource_type() == "Claim" and claim.use == "preauthorization"
    assert [i.productOrService.coding[0].code for i in claim.item] == ["72148"]
    kinds = sorted(entry.resource.get_resource_type() for entry in entries)
    assert kinds == [
        "Claim",
        "Coverage",
        "DocumentReference",
        "Organization",
        "Organization",
        "Patient",
        "Practitioner",
    ]
    urls = {entry.fullUrl for entry in entries}
    assert claim.supportingInfo[0].valueReference.reference in urls
    missing = client.get("/api/cases/case_missing/packet.fhir.json", headers=auth[Role.ADMIN])
    assert missing.status_code == 404


# --- golden files: a fixed synthetic case, rendered the same way every time -----------------

GENERATED_AT = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
RECEIVED_AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def golden_packet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Packet, BlobStore]:
    blobs = BlobStore(tmp_path_factory.mktemp("golden") / "blobs")
    content, boxes = referral_pdf("GOLDEN-1")
    digest = blobs.put_bytes(content)
    document_id = "doc_golden000001"
    extraction = extraction_for(document_id, boxes, DocType.REFERRAL)
    values: dict[str, Any] = {
        name: CaseValue[Any](
            value=found.normalized, evidence=found.evidence, source=ValueSource.EXTRACTED
        )
        for name, found in extraction.fields.items()
    }
    case = Case(
        id="case_golden00001",
        received_at=RECEIVED_AT,
        due_at=datetime(2026, 3, 9, 9, 15, tzinfo=UTC),
        document_ids=(document_id,),
        **values,
    )
    checklist = checklist_for(case.id, document_id, boxes)
    assessment = RecordedAssessment(
        id="chk_golden000001",
        case_id=case.id,
        checklist=checklist,
        routing=route(checklist, 0.9, 0.8),
        provenance=Provenance(prompt="agent.assess@1", engine="offline", confidence=0.9),
        recorded_by="usr_golden",
        created_at=GENERATED_AT,
    )
    document = PacketDocument(
        id=document_id,
        filename="referral.pdf",
        media_type="application/pdf",
        sha256=digest,
        page_count=2,
        doc_type="referral",
        role="source",
        uploaded_at=RECEIVED_AT,
    )
    packet = Packet(
        case=case,
        assessment=assessment,
        documents=(document,),
        payer=payer_directory(KB).get("quillfeather"),
        generated_at=GENERATED_AT,
    )
    return packet, blobs


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed: UPDATE_GOLDEN=1 to accept"


def test_fhir_bundle_matches_its_golden_file(golden_packet: tuple[Packet, BlobStore]) -> None:
    packet, _ = golden_packet
    bundle = build_pas_bundle(packet)
    assert bundle == build_pas_bundle(packet)  # the same case gives the same bundle
    _golden("quillfeather-mri.fhir.json", json.dumps(bundle, indent=2, sort_keys=True) + "\n")


def test_pdf_text_matches_its_golden_file(golden_packet: tuple[Packet, BlobStore]) -> None:
    packet, blobs = golden_packet
    reader = PdfReader(io.BytesIO(render_packet_pdf(packet, blobs)))
    dump = "".join(
        f"=== page {n} ===\n{page.extract_text()}\n" for n, page in enumerate(reader.pages, 1)
    )
    _golden("quillfeather-mri.pdf.txt", dump)


def test_a_document_that_cannot_be_attached_leaves_a_page_saying_so(
    golden_packet: tuple[Packet, BlobStore],
) -> None:
    packet, blobs = golden_packet
    lost = PacketDocument(
        id="doc_lost00000001",
        filename="lost-fax.tif",
        media_type="image/tiff",
        sha256="0" * 64,
        page_count=3,
        doc_type="clinical_note",
        role="attached",
        uploaded_at=RECEIVED_AT,
    )
    reader = PdfReader(io.BytesIO(render_packet_pdf(replace(packet, documents=(lost,)), blobs)))
    assert len(reader.pages) == 2 + 1
    assert "lost-fax.tif: no such blob" in reader.pages[-1].extract_text()
