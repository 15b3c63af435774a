"""What a coordinator sees after a run: the checklist, the drafts and the routing, per case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tests.agent.conftest import CASES
from tests.agent.support import COORDINATOR, ReadBundle, deps_for, open_bundle_case

from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.api.resources import Resources
from caredesk.domain.cases import CaseStatus
from caredesk.domain.drafts import Audience, DraftKind, DraftState
from caredesk.review.records import get_draft
from caredesk.storage.db import transaction
from caredesk.worklist.assessments import latest_assessment
from caredesk.worklist.cases import correct_value
from caredesk.worklist.records import load_case

Bundles = Callable[[str], ReadBundle]


def run(resources: Resources, case_id: str) -> dict:  # type: ignore[type-arg]
    done = start_and_run(deps_for(resources), case_id, COORDINATOR)
    with resources.read_db() as session:
        return result_json(session, done.id)


def statuses(result: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {item["id"]: item["status"] for item in result["checklist"]}


def test_the_cases_are_what_their_names_say(bundles: Bundles) -> None:
    assert bundles("complete").bundle.payer == "quillfeather"
    assert bundles("missing").bundle.evidence_missing == ("comorbidity", "home-test-inadequate")
    assert bundles("mri_72148").bundle.procedure_codes == ("72148",)
    assert bundles("mri_72148").bundle.payer == "quillfeather"
    assert bundles("tumbleweed").bundle.payer == "tumbleweed"
    assert bundles("injected_partial").bundle.payer == "tumbleweed"
    assert set(CASES) >= {"complete", "missing", "injected", "conflicting_dob"}


def test_a_complete_case_is_all_met_and_ready_but_still_a_draft(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, documents = open_bundle_case(resources, bundles("complete"))
    result = run(resources, case_id)
    assert result["status"] == "completed" and result["engine"] == "offline"
    assert set(statuses(result).values()) == {"met"}
    assert "patient-identity" in statuses(result) and "sleep-questionnaire" in statuses(result)
    assert result["routing"] == {"route": "ready", "reasons": []}
    assert result["confidence"] >= 0.8
    for item in result["checklist"]:
        assert item["evidence"], item["id"]
        for cited in item["evidence"]:
            assert cited["document_id"] in documents and cited["page"] >= 1
            assert cited["bbox"]["x1"] > cited["bbox"]["x0"]
    kinds = {(d["kind"], d["audience"]) for d in result["drafts"]}
    assert kinds == {("medical_necessity", "payer"), ("cover_letter", "payer")}
    assert all(d["state"] == "pending_review" and not d["flagged"] for d in result["drafts"])
    with resources.read_db() as session:
        assert load_case(session, case_id).status is CaseStatus.READY
        summary = get_draft(session, result["drafts"][0]["id"])
    assert summary.provenance.run_id == result["run_id"]
    assert summary.provenance.prompt == "template.summary@1"
    assert "Home sleep test on" in summary.content  # a quote from the referral, cited
    assert summary.created_by == COORDINATOR.id  # four eyes: the runner is an author


def test_missing_items_get_a_request_to_the_ordering_provider(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("missing"))
    result = run(resources, case_id)
    assert statuses(result)["hst-result-or-contraindication"] == "missing"
    assert statuses(result)["sleep-questionnaire"] == "met"
    assert result["routing"]["route"] == "review"
    assert "missing: hst-result-or-contraindication" in result["routing"]["reasons"]
    requests = [d for d in result["drafts"] if d["kind"] == DraftKind.PROVIDER_REQUEST.value]
    assert len(requests) == 1 and requests[0]["audience"] == Audience.ORDERING_PROVIDER.value
    assert all(d["flagged"] for d in result["drafts"])
    with resources.read_db() as session:
        text = get_draft(session, requests[0]["id"]).content
        assert load_case(session, case_id).status is CaseStatus.NEEDS_REVIEW
    assert "home sleep test" in text.lower()
    assert "G47.33" not in text  # the ordering provider's request carries no diagnosis code


def test_pa_not_required_takes_the_short_route_with_a_cited_note(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("mri_72148"))
    result = run(resources, case_id)
    assert result["checklist"] == []
    assert [d["kind"] for d in result["drafts"]] == [DraftKind.COVER_LETTER.value]
    with resources.read_db() as session:
        note = get_draft(session, result["drafts"][0]["id"])
        assessed = latest_assessment(session, case_id)
    assert note.audience is Audience.INTERNAL and note.state is DraftState.PENDING_REVIEW
    assert "PRIOR AUTHORIZATION NOT REQUIRED" in note.content
    assert "quillfeather-advanced-imaging@2026.1" in note.content
    assert assessed is not None and assessed.checklist.pa_required is False


def test_the_policy_version_in_force_on_the_date_of_service_decides(
    resources: Resources, bundles: Bundles
) -> None:
    """72148 needed PA under the 2025 imaging policy, which expired on 2025-12-31."""
    case_id, _ = open_bundle_case(resources, bundles("mri_72148"))
    with transaction(resources.db) as session:
        correct_value(session, case_id, "date_of_service", date(2025, 6, 2), actor=COORDINATOR)
    result = run(resources, case_id)
    ids = statuses(result)
    assert "prior-imaging" in ids and "red-flag-screening" not in ids  # 2025.1's list
    assert {item["source"].split("#")[0] for item in result["checklist"][1:]} == {
        "quillfeather-advanced-imaging@2025.1"
    }


def test_a_payer_the_member_id_contradicts_is_sent_to_review(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    with transaction(resources.db) as session:
        correct_value(session, case_id, "payer", "tumbleweed", actor=COORDINATOR)
    result = run(resources, case_id)
    assert statuses(result)["patient-identity"] == "unclear"
    assert "in-lab-justification" in statuses(result)  # Tumbleweed's checklist now
    assert result["routing"]["route"] == "review"
    assert any("another payer's prefix (QFH)" in r for r in result["routing"]["reasons"])


def test_an_unknown_payer_is_sent_to_review(resources: Resources, bundles: Bundles) -> None:
    case_id, _ = open_bundle_case(resources, bundles("complete"))
    with transaction(resources.db) as session:
        correct_value(session, case_id, "payer", "Acme Health", actor=COORDINATOR)
    result = run(resources, case_id)
    assert result["routing"]["route"] == "review"
    assert any("does not know the payer" in r for r in result["routing"]["reasons"])


def test_conflicting_documents_make_the_identity_check_unclear(
    resources: Resources, bundles: Bundles
) -> None:
    case_id, documents = open_bundle_case(resources, bundles("conflicting_dob"))
    result = run(resources, case_id)
    identity = next(i for i in result["checklist"] if i["id"] == "patient-identity")
    assert identity["status"] == "unclear"
    assert "disagree on date_of_birth" in identity["rationale"]
    assert result["routing"]["route"] == "review"
    reason = next(r for r in result["routing"]["reasons"] if "date_of_birth" in r)
    assert all(document in reason for document in documents)


def test_a_persons_correction_settles_the_conflict(resources: Resources, bundles: Bundles) -> None:
    case_id, _ = open_bundle_case(resources, bundles("conflicting_dob"))
    birth = bundles("conflicting_dob").bundle.conflict["values"][0]  # type: ignore[index]
    with transaction(resources.db) as session:
        correct_value(session, case_id, "date_of_birth", birth, actor=COORDINATOR)
    result = run(resources, case_id)
    assert statuses(result)["patient-identity"] == "met"
