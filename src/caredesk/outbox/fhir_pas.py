"""The packet as a FHIR R4 Bundle shaped like a Da Vinci PAS request, validated by fhir.resources.

fhir.resources 8 ships R5 (default), R4B and STU3 models; PAS is an R4 guide, and R4B is R4 for
every resource used here (Claim, Patient, Coverage, Practitioner, Organization,
DocumentReference), so the bundle is validated against the R4B models.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from caredesk.domain.cases import Case
from caredesk.domain.codes import is_hcpcs_level2_format
from caredesk.domain.errors import InputRejected
from caredesk.outbox.packet import Packet, PacketDocument

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition"
NPI = "http://hl7.org/fhir/sid/us-npi"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CASE_IDS = "urn:caredesk:case"
MEMBER_IDS = "urn:caredesk:member-id"
PAYER_IDS = "urn:caredesk:payer"
# Stable fullUrls: the same case always yields the same bundle (golden files, resubmission).
_NAMESPACE = uuid.UUID("6f1c2a52-8d0e-4b7e-9a55-3c1f0e6d2b11")


def _urn(case_id: str, kind: str, key: str = "") -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{case_id}/{kind}/{key}')}"


def build_pas_bundle(packet: Packet) -> dict[str, Any]:
    """A `collection` Bundle: the Claim (use = preauthorization) first, then what it cites."""
    case = packet.case
    refs = _References(case)
    resources: list[tuple[str, dict[str, Any]]] = [
        (refs.claim, _claim(packet, refs)),
        (refs.patient, _patient(case)),
        (refs.insurer, _payer(packet)),
        (refs.coverage, _coverage(case, refs)),
    ]
    if refs.practitioner:
        resources.append((refs.practitioner, _practitioner(case)))
    if refs.facility:
        resources.append((refs.facility, _facility(case)))
    resources += [(refs.document(d.id), _document(d, refs)) for d in packet.documents]
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NAMESPACE, f"{case.id}/bundle")),
        "meta": {"profile": [f"{PAS}/profile-pas-request-bundle"]},
        "identifier": {"system": CASE_IDS, "value": case.id},
        "type": "collection",
        "timestamp": _instant(packet),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in resources],
    }
    return validate_bundle(bundle)


def validate_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle as fhir.resources serialises it, or InputRejected naming the first problem."""
    try:
        parsed = Bundle.model_validate(bundle)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputRejected(f"the FHIR bundle is invalid at {where}: {first['msg']}") from None
    result: dict[str, Any] = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    return result


class _References:
    """The fullUrl of every resource in the bundle, decided before any is written."""

    def __init__(self, case: Case) -> None:
        self.case_id = case.id
        self.claim = _urn(case.id, "Claim")
        self.patient = _urn(case.id, "Patient")
        self.coverage = _urn(case.id, "Coverage")
        self.insurer = _urn(case.id, "Organization", "payer")
        ordering = case.ordering_provider
        rendering = case.rendering_provider
        has_ordering = bool(ordering.name or ordering.npi)
        self.practitioner = _urn(case.id, "Practitioner", "ordering") if has_ordering else ""
        has_facility = bool(rendering.name or rendering.npi)
        self.facility = _urn(case.id, "Organization", "facility") if has_facility else ""

    def document(self, document_id: str) -> str:
        return _urn(self.case_id, "DocumentReference", document_id)


def _instant(packet: Packet) -> str:
    return packet.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _claim(packet: Packet, refs: _References) -> dict[str, Any]:
    case = packet.case
    diagnoses = [
        {"sequence": n, "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": c}]}}
        for n, c in enumerate(case.diagnoses, start=1)
    ]
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "meta": {"profile": [f"{PAS}/profile-claim"]},
        "identifier": [{"system": CASE_IDS, "value": case.id}],
        "status": "active",
        "type": _concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
        "use": "preauthorization",
        "patient": {"reference": refs.patient},
        "created": _instant(packet),
        "insurer": {"reference": refs.insurer},
        "provider": {"reference": refs.practitioner or refs.facility or refs.insurer},
        "priority": _concept(
            "http://terminology.hl7.org/CodeSystem/processpriority",
            "stat" if case.effective_urgency.value == "expedited" else "normal",
        ),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": refs.coverage}}],
        "supportingInfo": _supporting_info(packet, refs),
        "item": _items(case, len(diagnoses), len(packet.documents)),
    }
    if diagnoses:
        claim["diagnosis"] = diagnoses
    if refs.facility:
        claim["facility"] = {"reference": refs.facility}
    return claim


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _supporting_info(packet: Packet, refs: _References) -> list[dict[str, Any]]:
    category = _concept(
        "http://terminology.hl7.org/CodeSystem/claiminformationcategory", "attachment"
    )
    return [
        {
            "sequence": n,
            "category": category,
            "valueReference": {"reference": refs.document(document.id)},
        }
        for n, document in enumerate(packet.documents, start=1)
    ]


def _items(case: Case, diagnoses: int, documents: int) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(case.service_lines, start=1):
        system = HCPCS if is_hcpcs_level2_format(line.code) else CPT
        item: dict[str, Any] = {
            "sequence": n,
            "productOrService": _concept(system, line.code),
            "quantity": {"value": line.units},
        }
        if diagnoses:
            item["diagnosisSequence"] = list(range(1, diagnoses + 1))
        if documents:
            item["informationSequence"] = list(range(1, documents + 1))
        if case.raw("date_of_service"):
            item["servicedDate"] = case.raw("date_of_service").isoformat()
        items.append(item)
    return items


def _human_name(full: str | None) -> list[dict[str, Any]]:
    if not full:
        return []
    parts = full.split()
    if len(parts) == 1:
        return [{"text": full, "family": parts[0]}]
    return [{"text": full, "family": parts[-1], "given": parts[:-1]}]


def _patient(case: Case) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [f"{PAS}/profile-beneficiary"]},
        "name": _human_name(case.raw("patient_name")),
    }
    if case.raw("member_id"):
        patient["identifier"] = [{"system": MEMBER_IDS, "value": case.raw("member_id")}]
    if case.raw("date_of_birth"):
        patient["birthDate"] = case.raw("date_of_birth").isoformat()
    return {key: value for key, value in patient.items() if value}


def _payer(packet: Packet) -> dict[str, Any]:
    payer_id = str(packet.case.raw("payer") or "unknown")
    return {
        "resourceType": "Organization",
        "meta": {"profile": [f"{PAS}/profile-insurer"]},
        "identifier": [{"system": PAYER_IDS, "value": payer_id}],
        "type": [_concept("http://terminology.hl7.org/CodeSystem/organization-type", "ins")],
        "name": packet.payer_name,
    }


def _coverage(case: Case, refs: _References) -> dict[str, Any]:
    coverage: dict[str, Any] = {
        "resourceType": "Coverage",
        "meta": {"profile": [f"{PAS}/profile-coverage"]},
        "status": "active",
        "beneficiary": {"reference": refs.patient},
        "payor": [{"reference": refs.insurer}],
    }
    if case.raw("member_id"):
        coverage["subscriberId"] = case.raw("member_id")
    if case.raw("plan"):
        coverage["class"] = [
            {
                "type": _concept("http://terminology.hl7.org/CodeSystem/coverage-class", "plan"),
                "value": case.raw("plan"),
                "name": case.raw("plan"),
            }
        ]
    return coverage


def _practitioner(case: Case) -> dict[str, Any]:
    provider = case.ordering_provider
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "meta": {"profile": [f"{PAS}/profile-practitioner"]},
        "name": _human_name(provider.name),
    }
    if provider.npi:
        practitioner["identifier"] = [{"system": NPI, "value": provider.npi}]
    return {key: value for key, value in practitioner.items() if value}


def _facility(case: Case) -> dict[str, Any]:
    provider = case.rendering_provider
    facility: dict[str, Any] = {
        "resourceType": "Organization",
        "meta": {"profile": [f"{PAS}/profile-organization"]},
        "name": provider.name or f"NPI {provider.npi}",
    }
    if provider.npi:
        facility["identifier"] = [{"system": NPI, "value": provider.npi}]
    return facility


def _document(document: PacketDocument, refs: _References) -> dict[str, Any]:
    # Attachment.hash is SHA-1 in FHIR; the blob store names content by SHA-256, so that
    # digest travels in an extension and the receiver can verify the bytes it fetches.
    digest = base64.b64encode(binascii.unhexlify(document.sha256)).decode("ascii")
    return {
        "resourceType": "DocumentReference",
        "identifier": [{"system": "urn:caredesk:document", "value": document.id}],
        "status": "current",
        "type": {"text": document.doc_type or "document"},
        "subject": {"reference": refs.patient},
        "date": document.uploaded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": document.filename,
        "content": [
            {
                "attachment": {
                    "contentType": document.media_type,
                    "title": document.filename,
                    "url": f"urn:caredesk:document:{document.id}",
                    "extension": [{"url": "urn:caredesk:sha256", "valueBase64Binary": digest}],
                }
            }
        ],
    }
