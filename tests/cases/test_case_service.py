"""Cases in the database (SQLite and PostgreSQL): evidence kept, corrections audited, worklist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.cases.builders import (
    MEMBER_ID,
    ORDERING_NPI,
    PATIENT,
    checklist_for,
    complete_checklist,
    fax_tiff,
)
from tests.cases.conftest import (
    COORDINATOR,
    INTAKE,
    REVIEWER,
    open_referral_case,
    store_referral,
    upload,
)

from caredesk.api.resources import Resources
from caredesk.audit.log import iter_events
from caredesk.audit.verify import verify_chain
from caredesk.domain.cases import CaseStatus, ValueSource
from caredesk.domain.clocks import SlaRisk, Urgency
from caredesk.domain.documents import DocType
from caredesk.domain.drafts import Provenance
from caredesk.domain.errors import Conflict, InputRejected, NotFound
from caredesk.domain.packets import route
from caredesk.storage.db import transaction
from caredesk.worklist.assessments import latest_assessment, record_assessment
from caredesk.worklist.cases import (
    CaseEntry,
    attach_document,
    correct_value,
    open_case,
    open_case_from_document,
    open_case_from_extraction,
)
from caredesk.worklist.queue import WorklistQuery, WorklistSort, list_worklist

AGENT = Provenance(prompt="agent.assess@1", engine="offline", confidence=0.92, run_id="run-1")


def test_a_case_from_an_extraction_keeps_every_values_evidence(db_resources: Resources) -> None:
    referral = store_referral(db_resources)
    case = open_referral_case(db_resources, referral)
    assert case.status is CaseStatus.OPEN
    assert case.raw("patient_name") == PATIENT and case.raw("member_id") == MEMBER_ID
    assert [(s.code, s.units) for s in case.service_lines] == [("72148", 1)]
    assert case.diagnoses == ["M54.16", "M51.26"]
    assert case.ordering_provider.npi == ORDERING_NPI
    npi = case.value_of("ordering_provider_npi")
    assert npi is not None and npi.source is ValueSource.EXTRACTED and npi.evidence is not None
    assert (npi.evidence.document_id, npi.evidence.page) == (referral.document_id, 1)
    assert npi.evidence.bbox == referral.boxes["ordering_provider_npi"]
    assert case.document_ids == (referral.document_id,)
    # Standard request, no payer clock: 7 calendar days from the document's arrival.
    assert case.due_at - case.received_at == timedelta(days=7)
    assert case.gaps() == []


def test_a_correction_keeps_the_original_recomputes_the_clock_and_is_audited(
    db_resources: Resources,
) -> None:
    case = open_referral_case(db_resources, store_referral(db_resources))
    with transaction(db_resources.db) as session:
        fixed = correct_value(
            session,
            case.id,
            "urgency",
            "expedited",
            actor=COORDINATOR,
            expected_version=case.version,
        )
        again = correct_value(session, case.id, "urgency", "expedited", actor=COORDINATOR)
    urgency = again.value_of("urgency")
    assert urgency is not None and urgency.source is ValueSource.CORRECTED
    assert urgency.original is not None and urgency.original.value is Urgency.STANDARD
    assert urgency.original.source is ValueSource.EXTRACTED and urgency.original.evidence
    assert urgency.corrected_by == COORDINATOR.id
    assert fixed.due_at - fixed.received_at == timedelta(hours=72)
    with db_resources.read_db() as session:
        events = [e for e in iter_events(session, object_id=case.id) if "correct" in e.action]
        assert events[0].details["before"] == "standard"
        assert events[0].details["after"] == "expedited"
        assert events[0].details["before_source"] == "extracted"
        assert verify_chain(session).ok
    with pytest.raises(Conflict, match="changed meanwhile"), transaction(db_resources.db) as s:
        correct_value(s, case.id, "patient_name", "X Y", actor=COORDINATOR, expected_version=1)


def test_corrections_are_validated_before_anything_is_written(resources: Resources) -> None:
    case = open_referral_case(resources, store_referral(resources))
    for field, value, problem in [
        ("ordering_provider_npi", "1234567890", "NPI"),
        ("diagnosis_codes", ["not-a-code"], "ICD-10-CM"),
        ("procedure_codes", [{"code": "ABC", "units": 1}], "CPT"),
        ("favourite_colour", "blue", "unknown case field"),
    ]:
        with pytest.raises(InputRejected, match=problem), transaction(resources.db) as session:
            correct_value(session, case.id, field, value, actor=COORDINATOR)


def test_a_document_opens_one_case_and_only_referrals_or_requests_open_cases(
    resources: Resources,
) -> None:
    referral = store_referral(resources, keep_extraction=True)
    with transaction(resources.db) as session:
        first = open_case_from_document(session, referral.document_id, actor=INTAKE)
    with pytest.raises(Conflict, match=first.id), transaction(resources.db) as session:
        open_case_from_document(session, referral.document_id, actor=INTAKE)
    invoice = referral.extraction.model_copy(update={"doc_type": DocType.INVOICE})
    with pytest.raises(InputRejected, match="invoice"), transaction(resources.db) as session:
        open_case_from_extraction(session, invoice, actor=INTAKE)
    note = upload(resources, fax_tiff(1), "note.tif")
    with pytest.raises(Conflict, match="no extraction"), transaction(resources.db) as session:
        open_case_from_document(session, note, actor=INTAKE)


def test_more_documents_can_be_attached_once_each(resources: Resources) -> None:
    case = open_referral_case(resources, store_referral(resources))
    note = upload(resources, fax_tiff(2), "note.tif")
    with transaction(resources.db) as session:
        updated = attach_document(session, case.id, note, actor=INTAKE)
    assert updated.document_ids[-1] == note and updated.version > case.version
    with pytest.raises(Conflict, match="already attached"), transaction(resources.db) as s:
        attach_document(s, case.id, note, actor=INTAKE)
    with pytest.raises(NotFound), transaction(resources.db) as session:
        attach_document(session, case.id, "doc_missing", actor=INTAKE)


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _hand_case(resources: Resources, payer: str, urgency: Urgency, hours_ago: float) -> str:
    entry = CaseEntry(
        patient_name=f"Test Person {payer} {hours_ago}",
        payer=payer,
        urgency=urgency,
        procedure_codes=[{"code": "72148", "units": 1}],
        received_at=NOW - timedelta(hours=hours_ago),
    )
    with transaction(resources.db) as session:
        return open_case(session, entry, actor=INTAKE).id


def test_worklist_filters_and_sorts(db_resources: Resources) -> None:
    overdue = _hand_case(db_resources, "tumbleweed", Urgency.EXPEDITED, 80)  # due 8 h ago
    at_risk = _hand_case(db_resources, "quillfeather", Urgency.STANDARD, 150)  # 18 h of 168 left
    on_track = _hand_case(db_resources, "quillfeather", Urgency.EXPEDITED, 10)  # 62 h left
    fresh = _hand_case(db_resources, "lanternfish", Urgency.STANDARD, 1)  # 167 h left

    def ids(**query: object) -> list[str]:
        with db_resources.read_db() as session:
            page = list_worklist(session, WorklistQuery(**query), NOW)
        return [entry.case.id for entry in page.items]

    assert ids(sort=WorklistSort.PRIORITY) == [overdue, at_risk, on_track, fresh]
    assert ids(sort=WorklistSort.DUE_AT) == [overdue, at_risk, on_track, fresh]
    assert ids(sort=WorklistSort.RECEIVED_AT) == [at_risk, overdue, on_track, fresh]
    assert ids(payer="quillfeather") == [at_risk, on_track]
    assert ids(urgency=Urgency.EXPEDITED) == [overdue, on_track]
    assert ids(risk=SlaRisk.OVERDUE) == [overdue]
    assert ids(risk=SlaRisk.AT_RISK) == [at_risk]
    assert ids(risk=SlaRisk.ON_TRACK, sort=WorklistSort.DUE_AT) == [on_track, fresh]
    assert ids(statuses=(CaseStatus.CLOSED,)) == []
    with db_resources.read_db() as session:
        page = list_worklist(session, WorklistQuery(limit=1, offset=1), NOW)
    assert (page.total, [e.case.id for e in page.items]) == (4, [at_risk])
    assert page.items[0].clock.remaining_s == 18 * 3600


def test_an_assessment_routes_the_case_and_is_kept(db_resources: Resources) -> None:
    referral = store_referral(db_resources)
    case = open_referral_case(db_resources, referral)
    flagged = checklist_for(case.id, referral.document_id, referral.boxes)
    with transaction(db_resources.db) as session:
        run = record_assessment(
            session, case.id, flagged, route(flagged, 0.9, 0.8), AGENT, actor=REVIEWER
        )
    with db_resources.read_db() as session:
        latest = latest_assessment(session, case.id)
    assert latest is not None and latest.id == run.id
    assert latest.routing.reasons == ("missing: neuro-exam",)
    assert [i.status.value for i in latest.checklist.items].count("missing") == 1
    assert latest.checklist.items[0].evidence[0].bbox == referral.boxes["therapy"]
    assert latest.recorded_by == REVIEWER.id and latest.provenance == AGENT
    complete = complete_checklist(case.id, referral.document_id, referral.boxes)
    with transaction(db_resources.db) as session:
        record_assessment(
            session, case.id, complete, route(complete, 0.95, 0.8), AGENT, actor=REVIEWER
        )
    with db_resources.read_db() as session:
        moves = iter_events(session, object_id=case.id, action="case.status")
        statuses = [event.details["after"] for event in moves]
    assert statuses == ["needs_review", "ready"]
    routing, db = route(complete, 1, 0.8), db_resources.db
    with pytest.raises(InputRejected, match="checklist is for"), transaction(db) as session:
        record_assessment(session, "case_x", complete, routing, AGENT, actor=REVIEWER)
