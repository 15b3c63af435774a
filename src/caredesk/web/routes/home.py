"""The landing page per role (the worklist itself lives in `routes/cases.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, allow
from caredesk.domain.roles import ALL_ROLES, Role
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
