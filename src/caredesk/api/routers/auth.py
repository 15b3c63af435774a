"""Sign in for API clients: exchange a username and password for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from caredesk.accounts.service import authenticate, issue_token
from caredesk.api.deps import CurrentPrincipal, DbDep, allow, public
from caredesk.audit.log import Actor, record
from caredesk.domain.errors import Unauthenticated
from caredesk.domain.roles import ALL_ROLES
from caredesk.storage.db import transaction

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field("", max_length=64, description="A label for the token, e.g. the client")


class TokenResponse(BaseModel):
    token: str = Field(description="Bearer token; shown once, store it safely")
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    username: str
    role: str


class Me(BaseModel):
    user_id: str
    username: str
    role: str


@router.post(
    "/token",
    dependencies=[public()],
    summary="Issue a bearer token",
    response_model=TokenResponse,
    responses={401: {"description": "Wrong username or password"}},
)
def issue(body: TokenRequest, db: DbDep) -> TokenResponse:
    """Check the credentials and return a new bearer token for API calls."""
    with transaction(db) as session:
        user = authenticate(session, body.username, body.password)
        if user is None:
            record(session, Actor("anonymous", "none"), "auth.failed", "user", body.username[:64])
            failure = True
        else:
            failure = False
            token = issue_token(session, user, body.name)
            response = TokenResponse(token=token, username=user.username, role=user.role)
    if failure:
        raise Unauthenticated("wrong username or password")
    return response


@router.get("/me", dependencies=[allow(ALL_ROLES)], summary="Who am I", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    """The authenticated caller's id, username and role."""
    return Me(user_id=principal.user_id, username=principal.username, role=principal.role.value)
