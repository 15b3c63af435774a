"""The pages in a real browser: sign-in, intake uploads, roles, CSRF, compliance, expiry."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.support.documents import make_pdf
from tests.web.live import VIEWPORT, LiveServer, screenshot, serve, sign_in_page
from tests.web.support import PASSWORD, add_person, username_for, web_settings

from caredesk.domain.roles import Role
from caredesk.synthetic import build_file

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DROP_FILE = """([name, encoded]) => {
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
  const zone = document.getElementById("dropzone");
  const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, init));
  }
}"""


def test_sign_in_with_the_keyboard_then_sign_out(page: Page) -> None:
    page.goto("/login")
    screenshot(page, "login")
    # The username field has focus on arrival; Tab reaches the password, then the button.
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username_for(Role.INTAKE))
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/intake$"))
    expect(page.get_by_role("heading", name="Intake", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto("/intake")
    expect(page.get_by_role("heading", name="Sign in to caredesk")).to_be_visible()


def test_wrong_password_then_locked_out_even_with_the_right_one(
    page: Page, live_server: LiveServer
) -> None:
    username = add_person(live_server.resources, "locked.browser", Role.INTAKE)
    for _ in range(live_server.settings.login_max_failures):
        sign_in_page(page, username, "not-my-password")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in_page(page, username, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page.locator("#username")).to_have_value(username)


def test_intake_upload_reaches_ready_and_a_second_copy_is_flagged(page: Page) -> None:
    sign_in_page(page, username_for(Role.INTAKE))
    # A clean synthetic referral (text layer): the pipeline reads every field of it.
    pdf = build_file(0, seed=7, fax_share=0.0, formats=("pdf",)).content
    page.evaluate(DROP_FILE, ["referral-0001.pdf", base64.b64encode(pdf).decode()])
    first = page.locator(".upload-item").filter(has_text="referral-0001.pdf")
    expect(first.locator(".status")).to_have_text("Ready", timeout=90_000)
    link = first.get_by_role("link", name="open")
    document_path = link.get_attribute("href")
    # The recent-documents table refreshes itself after the upload.
    recent = page.locator("#recent tr").filter(has_text="referral-0001.pdf")
    expect(recent.locator(".status")).to_have_text("Ready")
    expect(recent).to_contain_text("referral")  # the row re-read its type once ingestion settled
    screenshot(page, "intake")

    page.set_input_files(
        "#files", files=[{"name": "same-fax.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    second = page.locator(".upload-item").filter(has_text="same-fax.pdf")
    expect(second.locator(".upload-outcome")).to_contain_text("Already uploaded")
    existing = second.get_by_role("link", name="open the existing document")
    expect(existing).to_have_attribute("href", document_path or "")
    existing.click()
    expect(page.get_by_role("heading", name="referral-0001.pdf")).to_be_visible()
    expect(page.locator(".facts .status")).to_have_text("Ready")
    expect(page.locator(".facts")).to_contain_text("Referral")
    screenshot(page, "document")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    expect(page.get_by_role("link", name="referral-0001.pdf")).to_be_visible()
    screenshot(page, "documents")


def test_a_role_cannot_open_another_roles_pages(page: Page) -> None:
    sign_in_page(page, username_for(Role.INTAKE))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Compliance")).to_have_count(0)
    response = page.goto("/compliance")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    screenshot(page, "forbidden")


def test_posts_without_the_csrf_token_are_refused(page: Page) -> None:
    sign_in_page(page, username_for(Role.INTAKE))
    # A form with no token, as a page on another site would post it.
    page.evaluate(
        """() => {
          const form = document.createElement("form");
          form.method = "post";
          form.action = "/logout";
          document.body.appendChild(form);
          form.submit();
        }"""
    )
    expect(page.get_by_role("alert")).to_contain_text("security token")
    api_status = page.evaluate(
        """async () => {
          const body = new FormData();
          body.append("file", new File(["%PDF-1.4 stub"], "x.pdf"));
          return (await fetch("/api/documents", { method: "POST", body })).status;
        }"""
    )
    assert api_status == 403
    page.goto("/intake")  # both refusals left the session intact
    expect(page.get_by_role("heading", name="Intake", exact=True)).to_be_visible()


def test_compliance_finds_the_upload_verifies_and_exports(page: Page, tmp_path: Path) -> None:
    sign_in_page(page, username_for(Role.INTAKE))
    pdf = make_pdf(1, "Compliance trail")
    page.set_input_files(
        "#files", files=[{"name": "trail.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    expect(
        page.locator(".upload-item").filter(has_text="trail.pdf").locator(".status")
    ).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in_page(page, username_for(Role.REVIEWER))
    expect(page.get_by_role("heading", name="Compliance", exact=True)).to_be_visible()
    expect(page.locator("#chain-status")).to_contain_text("chain intact")
    page.fill("#actor", username_for(Role.INTAKE))
    page.fill("#action", "document.upload")
    page.get_by_role("button", name="Search").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows.first).to_contain_text("document.upload")
    expect(rows.first).to_contain_text(username_for(Role.INTAKE))
    screenshot(page, "compliance")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download JSONL").click()
    saved = tmp_path / "audit.jsonl"
    download_info.value.save_as(saved)
    events = [json.loads(line) for line in saved.read_text().splitlines()]
    assert any(event["action"] == "document.upload" for event in events)


def test_coordinator_home_and_worklist(page: Page) -> None:
    sign_in_page(page, username_for(Role.COORDINATOR))
    expect(
        page.get_by_role("heading", name=f"Welcome, {username_for(Role.COORDINATOR)}")
    ).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("main").get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("heading", name="Worklist", exact=True)).to_be_visible()
    screenshot(page, "worklist")


def test_an_idle_session_signs_out(browser: Browser, tmp_path: Path) -> None:
    # Its own server whose sessions time out after six idle seconds (the setting is in
    # minutes; model_copy skips the whole-minute validation on purpose).
    settings = web_settings(tmp_path).model_copy(update={"session_idle_minutes": 6 / 60})
    with serve(settings, roles=[Role.INTAKE]) as server:
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        page = context.new_page()
        sign_in_page(page, username_for(Role.INTAKE))
        expect(page.get_by_role("heading", name="Intake", exact=True)).to_be_visible()
        page.wait_for_timeout(7_000)
        page.reload()
        expect(page.get_by_role("status")).to_contain_text("signed out after")
        expect(page).to_have_url(f"{server.url}/login?next=%2Fintake&expired=1")
        context.close()
