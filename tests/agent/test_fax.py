"""One faxed referral (OCR, no text layer): evidence still cited by page and box, and the
reading's lower certainty shows in the confidence."""

from __future__ import annotations

import pytest
from tests.agent.support import COORDINATOR, deps_for, open_bundle_case, read_bundle

from caredesk.agent.runner import start_and_run
from caredesk.agent.runs import result_json
from caredesk.api.resources import Resources
from caredesk.domain.documents import PageSource


@pytest.mark.slow
def test_a_faxed_referral_is_assessed_from_its_ocr_words(resources: Resources) -> None:
    read = read_bundle(3, "complete", service="sleep-study-lab", variant="fax", with_note=False)
    assert {page.source for e in read.extractions for page in e.pages} == {PageSource.OCR}
    case_id, documents = open_bundle_case(resources, read)
    done = start_and_run(deps_for(resources), case_id, COORDINATOR)
    with resources.read_db() as session:
        result = result_json(session, done.id)
    statuses = {item["id"]: item["status"] for item in result["checklist"]}
    assert statuses["hst-result-or-contraindication"] == "met"
    assert statuses["sleep-questionnaire"] == "met"
    cited = [e for item in result["checklist"] for e in item["evidence"]]
    assert cited and {e["document_id"] for e in cited} == set(documents)
    assert 0.5 < result["confidence"] < 1.0  # OCR confidence, not the text layer's 100
