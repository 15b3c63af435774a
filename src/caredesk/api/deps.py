"""Dependency aliases for routers: settings, resources, the caller, and role gates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request, params
from sqlalchemy.orm import Session, sessionmaker

from caredesk.accounts.service import Principal, principal_of, user_for_token
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


def get_principal(request: Request, resources: ResourcesDep) -> Principal | None:
    """The caller from a bearer token or (for the web) a session cookie, or None."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = _bearer(request)
    if token is None:
        return None
    with resources.read_db() as session:
        user = user_for_token(session, token)
        principal = principal_of(user) if user is not None else None
    request.state.principal = principal
    return principal


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
