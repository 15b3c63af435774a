"""From the document viewer: correct an extracted field, open a case from a referral."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caredesk.api.deps import CurrentPrincipal, ResourcesDep, allow
from caredesk.api.routers.cases import CaseCreate, create_case
from caredesk.api.routers.document_content import FieldCorrection, correct_field
from caredesk.domain.roles import CASE_WORKERS, UPLOADERS
from caredesk.web.viewer import CASE_OPENERS

router = APIRouter()


def _back(url: str) -> Response:
    """After a form post, show the result at its own address (reloading repeats nothing)."""
    return RedirectResponse(url, status_code=303)


@router.post(
    "/documents/{document_id}/fields/{name}",
    dependencies=[allow(UPLOADERS)],
    summary="Correct a field (form)",
)
def correct(
    resources: ResourcesDep,
    principal: CurrentPrincipal,
    document_id: str,
    name: str,
    value: Annotated[str, Form(min_length=1, max_length=2000)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Save a person's reading of the field (audited; the value as read is kept) and show the
    document again on that field."""
    correction = FieldCorrection(value=value.strip() or value, note=note.strip())
    correct_field(document_id, name, correction, resources, principal)
    return _back(f"/documents/{document_id}?field={name}#field-{name}")


@router.post(
    "/documents/{document_id}/case",
    dependencies=[allow(CASE_OPENERS)],
    summary="Open a case from a referral (form)",
)
def open_case(resources: ResourcesDep, principal: CurrentPrincipal, document_id: str) -> Response:
    """A case read from the document's fields, each value with its evidence. Coordinators go
    on to the case; intake staff stay on the document, which now names the case."""
    case = create_case(CaseCreate(document_id=document_id), resources, principal)
    if principal.role in CASE_WORKERS:
        return _back(f"/cases/{case.id}")
    return _back(f"/documents/{document_id}")
