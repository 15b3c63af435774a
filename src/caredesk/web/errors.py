"""Errors on pages: sign-in redirects for 401, the 403 page, and HTML pages for the rest."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from caredesk.api.errors import status_for
from caredesk.domain.errors import CaredeskError, Unauthenticated
from caredesk.web.redirects import sign_in_redirect
from caredesk.web.rendering import render

TITLES = {
    400: "Bad request",
    403: "You do not have access to this page",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "File too large",
    415: "Unsupported file",
    422: "Please check what you entered",
    429: "Too many attempts",
    503: "A service is unavailable",
}


def error_page(request: Request, status: int, reason: str) -> Response:
    title = TITLES.get(status, "Something went wrong")
    context = {"status": status, "title": title, "reason": reason}
    return render(request, "error.html", context, status_code=status)


async def _caredesk_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CaredeskError)
    if isinstance(exc, Unauthenticated):
        return sign_in_redirect(request)
    return error_page(request, status_for(exc), exc.reason)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    reason = "There is no page at this address." if exc.status_code == 404 else str(exc.detail)
    return error_page(request, exc.status_code, reason)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{err.get('loc', ('?',))[-1]}: {err.get('msg', 'invalid')}" for err in exc.errors()
    ]
    return error_page(request, 422, "; ".join(problems) or "invalid request")


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(CaredeskError, _caredesk_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
