"""Sign-in sessions over HTTP: cookies, CSRF, idle timeout, throttled and audited failures."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.support.documents import make_pdf
from tests.web.support import PASSWORD, add_person, csrf_in, enter_as, page_csrf, sign_in

from caredesk.accounts.sessions import SESSION_COOKIE, resolve_session, session_digest
from caredesk.accounts.sessions import sign_in as start_session
from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import iter_events
from caredesk.domain.errors import BudgetExceeded, Unauthenticated
from caredesk.domain.roles import Role
from caredesk.settings import Settings
from caredesk.storage.db import transaction
from caredesk.storage.models import WebSession, utcnow
from caredesk.web.redirects import safe_next


def actions(resources: Resources) -> list[str]:
    with resources.read_db() as session:
        return [event.action for event in iter_events(session)]


def test_sign_in_sets_a_protected_cookie_and_stores_only_its_hash(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    response = sign_in(client, people[Role.INTAKE], next_page="/documents")
    assert response.status_code == 303
    assert response.headers["location"] == "/documents"
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 43  # 256 random bits, url-safe base64
    digest = hashlib.sha256(value.encode()).hexdigest()
    with resources.read_db() as session:
        stored = session.get(WebSession, digest)
        plain = session.get(WebSession, value)
    assert stored is not None and stored.csrf_token and plain is None
    assert "auth.login" in actions(resources)
    assert client.get("/documents").status_code == 200


def test_cookie_is_secure_when_served_over_https(
    settings: Settings, resources: Resources, people: dict[Role, str]
) -> None:
    app = create_app(settings, resources=resources, start_workers=False)
    # No lifespan (no `with`): the module's workers belong to the module's client.
    response = sign_in(TestClient(app, base_url="https://testserver"), people[Role.INTAKE])
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "Secure" in cookie


def test_wrong_password_shows_a_message_and_is_audited(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    response = sign_in(client, people[Role.INTAKE], password="not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert SESSION_COOKIE not in client.cookies
    assert "auth.login_failed" in actions(resources)


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, resources: Resources
) -> None:
    username = add_person(resources, "locked.out", Role.REVIEWER)
    for _ in range(resources.settings.login_max_failures):
        assert sign_in(client, username, password="guessing-wrong").status_code == 401
    refused = sign_in(client, username, password=PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert "auth.login_throttled" in actions(resources)
    # Another address is not locked out by this one's failures.
    login = start_session(
        resources.db,
        username,
        PASSWORD,
        "10.0.0.9",
        max_failures=resources.settings.login_max_failures,
    )
    assert login.principal.username == username


def test_the_lock_lifts_after_the_window(people: dict[Role, str], resources: Resources) -> None:
    username, limit = people[Role.REVIEWER], 2
    long_ago = utcnow() - timedelta(minutes=16)
    for _ in range(limit):
        with pytest.raises(Unauthenticated):
            start_session(
                resources.db, username, "nope-nope-nope", "a", max_failures=limit, now=long_ago
            )
    with pytest.raises(BudgetExceeded):
        start_session(resources.db, username, PASSWORD, "a", max_failures=limit, now=long_ago)
    assert start_session(resources.db, username, PASSWORD, "a", max_failures=limit).csrf_token


def test_idle_session_expires_with_a_notice(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    idle = timedelta(minutes=resources.settings.session_idle_minutes)
    with transaction(resources.db) as session:
        stale = utcnow() - idle - timedelta(seconds=5)
        session.execute(update(WebSession).values(last_seen_at=stale))
    response = client.get("/intake?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fintake%3Fx%3D1&expired=1"
    notice = client.get(response.headers["location"])
    assert "signed out after 30 minutes without activity" in notice.text
    assert "auth.session_expired" in actions(resources)


def test_activity_keeps_a_session_alive_but_not_on_every_request(
    people: dict[Role, str], resources: Resources
) -> None:
    login = start_session(resources.db, people[Role.INTAKE], PASSWORD, "a", max_failures=5)
    idle, start = timedelta(minutes=10), utcnow()

    def last_seen() -> object:
        with resources.read_db() as session:
            row = session.get(WebSession, session_digest(login.cookie_value))
            return row.last_seen_at if row else None

    before = last_seen()
    check = resolve_session(
        resources.db,
        resources.read_db,
        login.cookie_value,
        idle=idle,
        now=start + timedelta(seconds=5),
    )
    assert check.principal is not None and last_seen() == before
    later = start + timedelta(minutes=8)
    resolve_session(resources.db, resources.read_db, login.cookie_value, idle=idle, now=later)
    # Eight minutes of quiet, then a request: the clock restarts, so 16 minutes in it still holds.
    still = resolve_session(
        resources.db,
        resources.read_db,
        login.cookie_value,
        idle=idle,
        now=later + timedelta(minutes=8),
    )
    assert still.principal is not None and not still.expired


def test_sign_out_ends_the_session_for_good(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    cookie = client.cookies[SESSION_COOKIE]
    response = client.post(
        "/logout", data={"csrf_token": page_csrf(client)}, follow_redirects=False
    )
    assert response.headers["location"] == "/login?signed_out=1"
    assert "You have signed out." in client.get("/login?signed_out=1").text
    # Replaying the old cookie opens nothing.
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/intake", follow_redirects=False).status_code == 303
    assert "auth.logout" in actions(resources)


def test_form_posts_without_the_csrf_token_are_refused(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    missing = client.post("/logout", follow_redirects=False)
    wrong = client.post("/logout", data={"csrf_token": "forgé"}, follow_redirects=False)
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "security token" in missing.text
    upload = client.post("/intake", files={"files": ("a.pdf", make_pdf(1, "csrf form"))})
    assert upload.status_code == 403
    # Still signed in: a refused post changes nothing.
    assert client.get("/intake").status_code == 200


def test_cookie_api_writes_need_the_csrf_header_bearer_writes_do_not(
    client: TestClient,
    people: dict[Role, str],
    resources: Resources,
    auth: dict[Role, dict[str, str]],
) -> None:
    enter_as(client, resources, people[Role.INTAKE])
    files = {"file": ("referral.pdf", make_pdf(1, "csrf api"))}
    refused = client.post("/api/documents", files=files)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    token = page_csrf(client)
    accepted = client.post("/api/documents", files=files, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201, accepted.text
    client.cookies.clear()
    other = {"file": ("other.pdf", make_pdf(1, "bearer api"))}
    assert client.post("/api/documents", files=other, headers=auth[Role.INTAKE]).status_code == 201


def test_the_sign_in_form_has_its_own_csrf_token(
    client: TestClient, people: dict[Role, str]
) -> None:
    client.get("/login")
    forged = client.post(
        "/login",
        data={"username": people[Role.INTAKE], "password": PASSWORD, "csrf_token": "made-up"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/intake", "/intake"),
        ("/documents?status=ready", "/documents?status=ready"),
        ("//evil.example/phish", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/login", "/"),
        ("", "/"),
        ("/intake\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_next_only_goes_to_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_sign_in_never_redirects_off_site(client: TestClient, people: dict[Role, str]) -> None:
    response = sign_in(client, people[Role.INTAKE], next_page="//evil.example/")
    assert response.headers["location"] == "/"


def test_signed_in_people_skip_the_sign_in_page(
    client: TestClient, people: dict[Role, str], resources: Resources
) -> None:
    enter_as(client, resources, people[Role.REVIEWER])
    response = client.get("/login?next=/compliance", follow_redirects=False)
    assert response.headers["location"] == "/compliance"
    form = client.get("/login?next=/compliance")
    assert "Compliance" in form.text and csrf_in(form.text)
