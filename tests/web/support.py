"""Web test helpers: one user per role with a password, and signing in through the real form."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from caredesk.accounts.service import create_user, get_user
from caredesk.accounts.sessions import SESSION_COOKIE, open_session
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.domain.roles import Role
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import utcnow

PASSWORD = "synthetic-password-42"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings like the root conftest's, in `data_dir`."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "kb_autoload": False,
        "seed_demo": False,
        "log_format": "console",
        "log_level": "WARNING",
        "job_workers": 1,
        "job_lease_s": 5,
        # Fewer failures before the lock: every refused attempt costs an argon2 hash.
        "login_max_failures": 3,
        **overrides,
    }
    return Settings(**values, _env_file=None)  # type: ignore[arg-type, call-arg]


def add_person(resources: Resources, username: str, role: Role) -> str:
    with transaction(resources.db) as session:
        create_user(session, username, role.value, password=PASSWORD, by=SYSTEM)
    return username


def username_for(role: Role) -> str:
    return f"{role.value}.web"


def create_people(resources: Resources, roles: Iterable[Role] = tuple(Role)) -> dict[Role, str]:
    """One (obviously fake) person per role; all share PASSWORD."""
    people = {role: username_for(role) for role in roles}
    with transaction(resources.db) as session:
        for role, username in people.items():
            create_user(session, username, role.value, password=PASSWORD, by=SYSTEM)
    return people


def csrf_in(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, next_page: str = "/"
) -> Response:
    """Sign in through the form as a browser would (fresh cookies, the form's CSRF token)."""
    client.cookies.clear()
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_in(form.text),
            "next": next_page,
        },
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/documents") -> str:
    """The session's CSRF token as a signed-in page carries it."""
    return csrf_in(client.get(path).text)


def enter_as(client: TestClient, resources: Resources, username: str) -> str:
    """A signed-in session without the password round, for tests about pages rather than
    about signing in (argon2 is slow on a busy machine). Returns the CSRF token."""
    client.cookies.clear()
    with transaction(resources.db) as session:
        login = open_session(session, get_user(session, username), "testclient", utcnow())
    client.cookies.set(SESSION_COOKIE, login.cookie_value)
    return login.csrf_token
