"""The landing page per role, and the coordinator's worklist slot."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, allow
from caredesk.domain.roles import ALL_ROLES, CASE_WORKERS, Role
from caredesk.web.rendering import render

router = APIRouter()

# Where each role starts its day; roles not listed get the home page.
LANDING: dict[Role, str] = {
    Role.INTAKE: "/intake",
    Role.REVIEWER: "/compliance",
    Role.ADMIN: "/compliance",
}


@router.get("/", dependencies=[allow(ALL_ROLES)], summary="Home")
def home(request: Request, principal: CurrentPrincipal) -> Response:
    """Intake staff land on intake, compliance on compliance, coordinators on their home."""
    landing = LANDING.get(principal.role)
    if landing is not None:
        return RedirectResponse(landing, status_code=303)
    return render(request, "home.html")


@router.get("/worklist", dependencies=[allow(CASE_WORKERS)], summary="Worklist")
def worklist(request: Request) -> Response:
    """The case worklist; its table arrives with the cases API."""
    return render(request, "worklist.html")
