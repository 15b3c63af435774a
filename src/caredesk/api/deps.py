"""Dependency aliases for routers: settings, resources, the caller, and role gates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import Depends, Request, params
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from caredesk.accounts.service import Principal, principal_of, user_for_token
from caredesk.accounts.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    csrf_matches,
    resolve_session,
)
from caredesk.api.resources import Resources
from caredesk.domain.errors import Forbidden, Unauthenticated
from caredesk.domain.roles import Role
from caredesk.settings import Settings


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings(resources: ResourcesDep) -> Settings:
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(resources: ResourcesDep) -> sessionmaker[Session]:
    """The writer session factory: services open short transactions with it."""
    return resources.db


def get_read_db(resources: ResourcesDep) -> sessionmaker[Session]:
    return resources.read_db


DbDep = Annotated[sessionmaker[Session], Depends(get_db)]
ReadDbDep = Annotated[sessionmaker[Session], Depends(get_read_db)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_principal(request: Request, resources: ResourcesDep) -> Principal | None:
    """The caller from a bearer token, else from a web session cookie, or None.

    Browsers attach cookies to cross-site posts but never bearer tokens, so a
    cookie-authenticated write must also present its session's CSRF token (header or form
    field) or it is refused (403).
    """
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = _bearer(request)
    if token is not None:
        principal = await run_in_threadpool(_token_principal, resources, token)
    else:
        principal = await _session_principal(request, resources)
    request.state.principal = principal
    return principal


def _token_principal(resources: Resources, token: str) -> Principal | None:
    with resources.read_db() as session:
        user = user_for_token(session, token)
        return principal_of(user) if user is not None else None


async def _session_principal(request: Request, resources: Resources) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    idle = timedelta(minutes=resources.settings.session_idle_minutes)
    check = await run_in_threadpool(
        partial(resolve_session, resources.db, resources.read_db, cookie, idle=idle)
    )
    # Pages read the CSRF token and the "expired" flag from here.
    request.state.web_session = check
    if check.principal is not None and request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER) or await _form_csrf(request)
        if not csrf_matches(check.csrf_token, presented):
            raise Forbidden("the form's security token is missing or stale: reload and try again")
    return check.principal


async def _form_csrf(request: Request) -> str | None:
    """The CSRF field of a posted form (FastAPI parsed it already; `form()` returns its cache)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


OptionalPrincipal = Annotated[Principal | None, Depends(get_principal)]


def require_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise Unauthenticated("sign in or send a valid bearer token")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


class RoleGate:
    """The roles a route allows. Every route must carry exactly one gate (checked at start-up);
    `roles=None` marks a deliberately public route."""

    def __init__(self, roles: Iterable[Role] | None) -> None:
        self.roles = frozenset(roles) if roles is not None else None

    def __call__(self, request: Request, principal: OptionalPrincipal) -> None:
        if self.roles is None:
            return
        if principal is None:
            raise Unauthenticated("sign in or send a valid bearer token")
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise Forbidden(f"role {principal.role.value!r} may not do this (allowed: {allowed})")

    def __repr__(self) -> str:
        return f"RoleGate({sorted(r.value for r in self.roles) if self.roles else 'public'})"


def allow(roles: Iterable[Role]) -> params.Depends:
    """Route dependency: only these roles (401 without credentials, 403 with the wrong role)."""
    return params.Depends(RoleGate(roles))


def public() -> params.Depends:
    """Route dependency for routes anyone may call (health checks, sign-in)."""
    return params.Depends(RoleGate(None))
