"""Create and find users, issue and resolve API tokens; every change audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caredesk.accounts.passwords import (
    hash_password,
    new_password,
    new_token,
    token_digest,
    verify_password,
)
from caredesk.audit.log import Actor, record
from caredesk.domain.errors import Conflict, InputRejected, NotFound
from caredesk.domain.roles import Role, parse_role
from caredesk.storage.models import ApiToken, User, utcnow


@dataclass(frozen=True)
class Principal:
    """The authenticated caller as the rest of the code sees it."""

    user_id: str
    username: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.role.value)


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, Role(user.role))


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    password: str | None = None,
    full_name: str = "",
    by: Actor,
    is_demo: bool = False,
) -> tuple[User, str]:
    """A new user; returns it with the password (generated when none is given)."""
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").isalnum()
    ):
        raise InputRejected("username must be 1-64 letters, digits, dots or dashes")
    try:
        role_value = parse_role(role)
    except ValueError as exc:
        raise InputRejected(str(exc)) from None
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} already exists")
    password = password or new_password()
    try:
        user = User(
            username=username,
            full_name=full_name,
            role=role_value.value,
            password_hash=hash_password(password),
            is_demo=is_demo,
        )
    except ValueError as exc:
        raise InputRejected(str(exc)) from None
    session.add(user)
    session.flush()
    record(
        session,
        by,
        "user.create",
        "user",
        user.id,
        {"username": username, "role": role_value.value},
    )
    return user, password


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user is not None and user.active else None


def issue_token(session: Session, user: User, name: str = "") -> str:
    """A new bearer token for `user`; only its hash is stored, so it is shown once."""
    token = new_token()
    row = ApiToken(user_id=user.id, name=name[:64], token_hash=token_digest(token))
    session.add(row)
    session.flush()
    record(
        session, principal_of(user).actor, "token.issue", "api_token", row.id, {"name": row.name}
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def get_user(session: Session, username: str) -> User:
    user = session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def count_users(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(User)).scalar_one())


def revoke_tokens(session: Session, user: User, by: Actor) -> int:
    rows = (
        session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.revoked_at = utcnow()
    record(session, by, "token.revoke_all", "user", user.id, {"count": len(rows)})
    return len(rows)
