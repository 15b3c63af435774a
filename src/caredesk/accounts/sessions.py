"""Web sign-in sessions: sign in (throttled, audited), resolve with idle timeout, sign out, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from caredesk.accounts.service import Principal, authenticate, principal_of
from caredesk.audit.log import Actor, record
from caredesk.domain.errors import BudgetExceeded, Unauthenticated
from caredesk.storage.db import transaction
from caredesk.storage.models import LoginAttempt, User, WebSession, utcnow

SESSION_COOKIE = "caredesk_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
THROTTLE_WINDOW = timedelta(minutes=15)
# Writing last_seen_at on every request would take SQLite's write lock per page view; a
# coarser clock is enough for an idle timeout measured in minutes.
MAX_TOUCH_INTERVAL = timedelta(seconds=60)
ANONYMOUS = Actor("anonymous", "none")
THROTTLED = (
    "Too many failed sign-ins for this account from this address. Try again in "
    f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes or ask an administrator."
)


@dataclass(frozen=True)
class WebLogin:
    """A new session: the cookie value (shown to the browser once) and its CSRF token."""

    cookie_value: str
    csrf_token: str
    principal: Principal


@dataclass(frozen=True)
class SessionCheck:
    """What a presented cookie is worth: a principal and CSRF token, or nothing and why."""

    principal: Principal | None
    csrf_token: str = ""
    expired: bool = False


def session_digest(cookie_value: str) -> str:
    """The stored id: the cookie is 256 random bits, so a plain sha256 is safe and O(1)."""
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison; bytes, because compare_digest refuses non-ASCII str."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def touch_interval(idle: timedelta) -> timedelta:
    return min(MAX_TOUCH_INTERVAL, idle / 4)


def sign_in(
    db: sessionmaker[Session],
    username: str,
    password: str,
    address: str,
    *,
    max_failures: int,
    now: datetime | None = None,
) -> WebLogin:
    """A new session for valid credentials. Too many recent failures for this username and
    address refuse even the right password (BudgetExceeded); wrong ones raise Unauthenticated.
    Every outcome is audited; the audit row commits even when the attempt is refused."""
    now = now or utcnow()
    username = username.strip().lower()[:64]
    address = address[:64]
    with transaction(db) as session:
        throttled = _recent_failures(session, username, address, now) >= max_failures
        login = None
        if throttled:
            _note_attempt(session, username, address, False, now)
            record(
                session, ANONYMOUS, "auth.login_throttled", "user", username, {"address": address}
            )
        else:
            login = _check_password(session, username, password, address, now)
    if throttled:
        raise BudgetExceeded(THROTTLED)
    if login is None:
        raise Unauthenticated("Wrong username or password.")
    return login


def _check_password(
    session: Session, username: str, password: str, address: str, now: datetime
) -> WebLogin | None:
    user = authenticate(session, username, password)
    _note_attempt(session, username, address, user is not None, now)
    if user is None:
        record(session, ANONYMOUS, "auth.login_failed", "user", username, {"address": address})
        return None
    return open_session(session, user, address, now)


def open_session(session: Session, user: User, address: str, now: datetime) -> WebLogin:
    """A new session for a user whose identity is already established; audited."""
    cookie_value, csrf_token = new_secret(), new_secret()
    session.add(
        WebSession(
            id=session_digest(cookie_value),
            user_id=user.id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )
    principal = principal_of(user)
    record(session, principal.actor, "auth.login", "user", user.id, {"address": address})
    return WebLogin(cookie_value, csrf_token, principal)


def _recent_failures(session: Session, username: str, address: str, now: datetime) -> int:
    """Failures in the window since the last success: signing in correctly clears the count."""
    same = (LoginAttempt.username == username, LoginAttempt.address == address)
    window_start = now - THROTTLE_WINDOW
    last_success = session.execute(
        select(func.max(LoginAttempt.at)).where(*same, LoginAttempt.succeeded.is_(True))
    ).scalar_one_or_none()
    since = max(window_start, last_success) if last_success else window_start
    query = select(func.count()).where(
        *same, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
    )
    return int(session.execute(query).scalar_one())


def _note_attempt(
    session: Session, username: str, address: str, succeeded: bool, now: datetime
) -> None:
    # The audit log keeps the history; this table only needs the current window.
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.at < now - THROTTLE_WINDOW
        )
    )
    session.add(LoginAttempt(username=username, address=address, succeeded=succeeded, at=now))


def resolve_session(
    db: sessionmaker[Session],
    read_db: sessionmaker[Session],
    cookie_value: str,
    *,
    idle: timedelta,
    now: datetime | None = None,
) -> SessionCheck:
    """The signed-in principal behind a cookie. An idle session is ended (audited) and reported
    as expired; an active one has its last-seen time refreshed now and then."""
    now = now or utcnow()
    digest = session_digest(cookie_value)
    with read_db() as session:
        row = session.get(WebSession, digest)
        user = session.get(User, row.user_id) if row is not None else None
    if row is None or row.ended_at is not None or user is None or not user.active:
        return SessionCheck(None)
    if now - row.last_seen_at > idle:
        _end(db, digest, principal_of(user).actor, "auth.session_expired", now)
        return SessionCheck(None, expired=True)
    if now - row.last_seen_at > touch_interval(idle):
        with transaction(db) as session:
            live = session.get(WebSession, digest)
            if live is not None:
                live.last_seen_at = max(live.last_seen_at, now)
    return SessionCheck(principal_of(user), row.csrf_token)


def sign_out(db: sessionmaker[Session], cookie_value: str, actor: Actor) -> None:
    """End the session behind the cookie; signing out twice is harmless."""
    _end(db, session_digest(cookie_value), actor, "auth.logout", utcnow())


def _end(db: sessionmaker[Session], digest: str, actor: Actor, action: str, now: datetime) -> None:
    with transaction(db) as session:
        row = session.get(WebSession, digest)
        # Re-checked under the write lock: two requests may race to end the same session.
        if row is None or row.ended_at is not None:
            return
        row.ended_at = now
        # The audit names the session by a prefix of its stored hash, never the cookie.
        record(session, actor, action, "user", row.user_id, {"session": digest[:12]})
