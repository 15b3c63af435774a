"""Each role's main path in a real browser: intake reads a faxed referral's evidence, the
coordinator runs the agent and follows a copilot citation, a reviewer approves, compliance
finds the approval and verifies the chain; the four-eyes rule and role gates on the new pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.web.casework import Casework, casework
from tests.web.live import VIEWPORT, screenshot, sign_in_page
from tests.web.support import username_for

from caredesk.domain.roles import Role
from caredesk.synthetic import build_file

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Casework]:
    with casework(tmp_path_factory.mktemp("casework")) as seeded:
        yield seeded


@pytest.fixture
def page(browser: Browser, work: Casework) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=work.server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_intake_uploads_a_faxed_referral_and_sees_its_evidence(page: Page) -> None:
    sign_in_page(page, username_for(Role.INTAKE))
    # A referral printed, faxed and scanned: no text layer, so OCR reads it.
    fax = build_file(0, seed=11, fax_share=1.0)
    page.set_input_files(
        "#files",
        files=[{"name": "fax-referral.pdf", "mimeType": "application/pdf", "buffer": fax.content}],
    )
    row = page.locator(".upload-item").filter(has_text="fax-referral.pdf")
    expect(row.locator(".status")).to_have_text(re.compile("Ready|Needs attention"), timeout=60_000)
    row.get_by_role("link", name="open").click()

    fields = page.locator(".field-list")
    expect(fields).to_contain_text("Patient name")
    patient = page.locator(".field-link[data-field='patient_name']")
    patient.focus()
    page.keyboard.press("Enter")  # fields are links: the keyboard works as a click does
    expect(page.locator(".highlight-note")).to_contain_text("Patient name")
    box = page.locator(".evidence-box")
    expect(box).to_have_count(1)
    assert (box.bounding_box() or {}).get("width", 0) > 10, "the box is drawn at page scale"
    page.get_by_label("Show OCR word boxes").check()
    expect(page.locator(".word-box").first).to_be_attached()
    assert page.locator(".word-box").count() > 20
    screenshot(page, "viewer")

    item = page.locator("#field-patient_name")
    item.locator("summary").click()
    item.get_by_label("Patient name as it should read").fill("Corrected Name (synthetic)")
    item.get_by_role("button", name="Save correction").click()
    corrected = page.locator("#field-patient_name")
    expect(corrected.locator(".field-value")).to_have_text("Corrected Name (synthetic)")
    expect(corrected.locator(".flag-corrected")).to_contain_text("originally read")

    page.get_by_role("button", name="Open a case from this referral").click()
    expect(page.locator(".case-box")).to_contain_text("was opened from this referral")


def test_coordinator_runs_the_agent_and_follows_a_copilot_citation(
    page: Page, work: Casework
) -> None:
    case_id = work.for_coordinator.case_id
    sign_in_page(page, username_for(Role.COORDINATOR))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    row = page.locator(".worklist-table tbody tr").filter(has_text=case_id)
    expect(row.locator(".countdown")).to_contain_text("left")
    expect(row.locator(".risk")).to_have_text("On track")
    screenshot(page, "worklist-cases")
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(page.locator("#checklist")).to_contain_text("Not assessed yet")

    page.get_by_role("button", name="Run the agent").click()
    expect(page.locator("#agent-run")).to_have_attribute("data-status", "completed")
    # When the run ends the page re-reads its checklist and drafts by itself.
    expect(page.locator("#checklist .check").first).to_be_visible()
    expect(page.locator("#checklist .check-met").first).to_be_visible()
    expect(page.locator("#drafts tbody tr").first).to_be_visible()
    evidence = page.locator("#checklist .evidence a").first
    assert "box=" in (evidence.get_attribute("href") or "")
    screenshot(page, "case")

    page.locator(".suggestions .chip").first.click()
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#copilot-answer .answer")
    expect(answer).to_have_attribute("data-engine", "offline")
    citation = answer.locator("a.cite").first
    expect(citation).to_be_visible()
    citation.scroll_into_view_if_needed()
    screenshot(page, "case-copilot")
    citation.click()
    expect(page).to_have_url(re.compile(r"/kb/[a-z0-9-]+\?version=.*#quote$"))
    quote = page.locator("mark#quote")
    expect(quote).to_be_visible()
    expect(quote).to_be_in_viewport()
    screenshot(page, "kb-citation")


def test_the_copilot_says_when_it_abstains(page: Page) -> None:
    sign_in_page(page, username_for(Role.COORDINATOR))
    page.goto("/copilot")
    page.get_by_label("Question", exact=True).fill("What colour is the sky on Mars at noon?")
    page.get_by_role("button", name="Ask").click()
    note = page.locator("#copilot-answer [data-note='abstained']")
    expect(note).to_contain_text("abstained")
    page.get_by_label("Question", exact=True).fill(
        "Does Quillfeather require prior authorization for 95810?"
    )
    page.get_by_role("button", name="Ask").click()
    latest = page.locator("#copilot-answer .answer").first
    expect(latest).to_have_attribute("data-abstained", "false")
    expect(page.locator("#copilot-answer .answer a.cite").first).to_be_visible()
    screenshot(page, "copilot")


def test_a_reviewer_approves_the_draft(page: Page, work: Casework) -> None:
    draft_id = work.for_reviewer.draft_ids[0]
    sign_in_page(page, username_for(Role.REVIEWER))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    link = page.locator(f"a[href='/drafts/{draft_id}']")
    row = page.locator(".review-table tbody tr").filter(has=link)
    expect(row).to_contain_text("Pending review")
    screenshot(page, "review-queue")
    row.locator(f"a[href='/drafts/{draft_id}']").click()
    expect(page.locator(".decision-panel .blocked")).to_have_count(0)
    expect(page.get_by_text("Where the text came from")).to_be_visible()
    screenshot(page, "draft")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.locator("h1 .state")).to_have_text("Approved")
    expect(page.locator(".reviews")).to_contain_text(f"Approved by {username_for(Role.REVIEWER)}")


def test_four_eyes_the_agents_runner_cannot_approve(page: Page, work: Casework) -> None:
    draft_id = work.for_four_eyes.draft_ids[0]
    sign_in_page(page, username_for(Role.ADMIN))
    page.goto(f"/drafts/{draft_id}")
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_disabled()
    expect(page.locator("#decide-blocked")).to_contain_text("Four eyes")
    screenshot(page, "four-eyes")
    # The API refuses too, whatever the page shows.
    refused = page.evaluate(
        """async (id) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch(`/api/drafts/${id}/approve`, {
            method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
            body: JSON.stringify({version: 1}),
          });
          return [response.status, (await response.json()).reason];
        }""",
        draft_id,
    )
    assert refused[0] == 403 and "four eyes" in refused[1]


def test_compliance_finds_the_approval_and_the_chain_verifies(page: Page, work: Casework) -> None:
    draft_id = work.for_compliance.draft_ids[0]
    sign_in_page(page, username_for(Role.REVIEWER))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compliance").click()
    expect(page.locator("#chain-status")).to_contain_text("chain intact")
    page.fill("#action", "draft.approved")
    page.fill("#object_id", draft_id)
    page.get_by_role("button", name="Search").click()
    row = page.locator(".audit-table tbody tr").first
    expect(row).to_contain_text("draft.approved")
    expect(row).to_contain_text(username_for(Role.REVIEWER))
    row.get_by_role("link", name=draft_id).click()
    expect(page).to_have_url(re.compile(f"/compliance/drafts/{draft_id}$"))
    expect(page.locator("[data-trail='approver']")).to_contain_text(username_for(Role.REVIEWER))
    expect(page.locator("[data-trail='sent']")).to_contain_text(username_for(Role.COORDINATOR))
    expect(page.locator("[data-trail='prompt']")).to_contain_text("@")
    expect(page.locator(".versions .diff-add")).to_contain_text("Reviewed against the policy")
    expect(page.locator("#chain-status")).to_contain_text("chain intact")
    screenshot(page, "draft-trail")


def test_roles_cannot_open_each_others_new_pages(page: Page, work: Casework) -> None:
    sign_in_page(page, username_for(Role.COORDINATOR))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review")).to_have_count(0)
    for path in ("/review", f"/compliance/drafts/{work.for_reviewer.draft_ids[0]}"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        refused = page.get_by_role("heading", name="You do not have access to this page")
        expect(refused).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in_page(page, username_for(Role.INTAKE))
    response = page.goto(f"/cases/{work.for_coordinator.case_id}")
    assert response is not None and response.status == 403
