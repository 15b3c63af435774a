"""Web fixtures: one app per test module (users are costly to hash), people with passwords.

Tests here share the module's database, so each signs in afresh and keeps to its own users
where it changes account state. A test that must break something builds its own app.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from tests.web.live import VIEWPORT, LiveServer, launch_chromium, serve
from tests.web.support import create_people, web_settings

from caredesk.accounts.service import create_user, issue_token
from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.domain.roles import Role
from caredesk.settings import Settings
from caredesk.storage.db import transaction


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return web_settings(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def resources(settings: Settings) -> Iterator[Resources]:
    built = Resources.build(settings)
    yield built
    built.close()


@pytest.fixture(scope="module")
def module_client(settings: Settings, resources: Resources) -> Iterator[TestClient]:
    with TestClient(create_app(settings, resources=resources)) as test_client:
        yield test_client


@pytest.fixture
def client(module_client: TestClient) -> TestClient:
    """The module's client, signed out."""
    module_client.cookies.clear()
    return module_client


@pytest.fixture(scope="module")
def tokens(resources: Resources) -> dict[Role, str]:
    """One API user per role with a bearer token each."""
    issued: dict[Role, str] = {}
    with transaction(resources.db) as session:
        for role in Role:
            user, _ = create_user(session, f"{role.value}-api", role.value, by=SYSTEM)
            issued[role] = issue_token(session, user, "tests")
    return issued


@pytest.fixture(scope="module")
def people(resources: Resources) -> dict[Role, str]:
    return create_people(resources)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(web_settings(tmp_path_factory.mktemp("live"))) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser profile (no cookies) on a laptop-sized window, at the live server."""
    context = browser.new_context(
        viewport=VIEWPORT, base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
