"""A real caredesk server on 127.0.0.1 (uvicorn in a thread) and Debian's chromium to drive it."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from tests.web.support import PASSWORD, create_people

from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.domain.roles import Role
from caredesk.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    resources: Resources


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(settings: Settings, roles: Iterable[Role] = tuple(Role)) -> Iterator[LiveServer]:
    """The full app (API, pages, in-process workers) with one person per role, until exit."""
    resources = Resources.build(settings)
    create_people(resources, roles)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, resources=resources), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, resources)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        resources.close()


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's chromium through Playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in_page(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> None:
    """Save what the page shows on a 1366×768 laptop screen to docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
