"""Sign in and sign out: cookie sessions, a CSRF-protected sign-in form, throttled failures."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.accounts.sessions import (
    SESSION_COOKIE,
    csrf_matches,
    new_secret,
    sign_in,
    sign_out,
)
from caredesk.api.deps import CurrentPrincipal, OptionalPrincipal, ResourcesDep, allow, public
from caredesk.domain.errors import BudgetExceeded, Forbidden, Unauthenticated
from caredesk.domain.roles import ALL_ROLES
from caredesk.web.redirects import LOGIN_PATH, safe_next
from caredesk.web.rendering import render

router = APIRouter()

# Before sign-in there is no session to hang a CSRF token on, so the sign-in form uses a
# double-submit token: a cross-site page can neither read nor set this cookie.
LOGIN_CSRF_COOKIE = "caredesk_login_csrf"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # what new_secret() makes


def _login_form(
    request: Request,
    next_page: str,
    *,
    username: str = "",
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not TOKEN_SHAPE.fullmatch(token):
        token = new_secret()
    context = {
        "login_csrf": token,
        "next_page": safe_next(next_page),
        "username": username,
        "error": error,
        "notice": notice,
    }
    response = render(request, "login.html", context, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=LOGIN_PATH,
    )
    return response


@router.get(LOGIN_PATH, dependencies=[public()], summary="Sign-in page")
def login_page(
    request: Request,
    resources: ResourcesDep,
    principal: OptionalPrincipal,
    next_page: Annotated[str, Query(alias="next", max_length=2048)] = "/",
    expired: bool = False,
    signed_out: bool = False,
) -> Response:
    """The sign-in form, with a notice after a timeout or sign-out; people already signed in
    go straight on."""
    if principal is not None:
        return RedirectResponse(safe_next(next_page), status_code=303)
    notice = ""
    if expired:
        minutes = resources.settings.session_idle_minutes
        notice = f"You were signed out after {minutes:g} minutes without activity. Sign in again."
    elif signed_out:
        notice = "You have signed out."
    return _login_form(request, next_page, notice=notice)


@router.post(LOGIN_PATH, dependencies=[public()], summary="Sign in")
def login_submit(
    request: Request,
    resources: ResourcesDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    """Start a session and go on to `next` (same site only); on failure show the form again."""
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        raise Forbidden("This sign-in form has expired. Reload the page and sign in again.")
    address = request.client.host if request.client else "unknown"
    try:
        login = sign_in(
            resources.db,
            username,
            password,
            address,
            max_failures=resources.settings.login_max_failures,
        )
    except (Unauthenticated, BudgetExceeded) as exc:
        status = 429 if isinstance(exc, BudgetExceeded) else 401
        return _login_form(
            request, next_page, username=username, error=exc.reason, status_code=status
        )
    return _signed_in(request, login.cookie_value, next_page)


def _signed_in(request: Request, cookie_value: str, next_page: str) -> Response:
    response = RedirectResponse(safe_next(next_page), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie_value,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout", dependencies=[allow(ALL_ROLES)], summary="Sign out")
def logout(request: Request, resources: ResourcesDep, principal: CurrentPrincipal) -> Response:
    """End the session (audited) and return to the sign-in page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sign_out(resources.db, cookie, principal.actor)
    response = RedirectResponse(f"{LOGIN_PATH}?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
