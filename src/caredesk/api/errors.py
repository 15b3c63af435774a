"""The one mapping from caredesk's error families to HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from caredesk.domain.errors import (
    BudgetExceeded,
    CaredeskError,
    Conflict,
    Forbidden,
    InputRejected,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    UpstreamUnavailable,
)

# Most specific first: the first isinstance match wins.
STATUS_BY_FAMILY: tuple[tuple[type[CaredeskError], int], ...] = (
    (UnsupportedMediaType, 415),
    (PayloadTooLarge, 413),
    (InputRejected, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (BudgetExceeded, 429),
    (UpstreamUnavailable, 503),
)


def status_for(error: CaredeskError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 500


def error_body(code: str, reason: str, request: Request, **details: object) -> dict[str, object]:
    body: dict[str, object] = {"error": code, "reason": reason}
    if details:
        body["details"] = details
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    return body


async def _caredesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CaredeskError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        error_body(exc.code, exc.reason, request, **exc.details),
        status_code=status,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]
    reason = "; ".join(f"{p['where']}: {p['problem']}" for p in problems) or "invalid request"
    return JSONResponse(
        error_body("input_rejected", reason, request, problems=problems), status_code=422
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CaredeskError, _caredesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
