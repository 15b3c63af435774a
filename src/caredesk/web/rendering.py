"""Page rendering: the Jinja2 environment, role-aware navigation and the context every page gets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from caredesk import __version__
from caredesk.accounts.service import Principal
from caredesk.accounts.sessions import CSRF_FIELD, CSRF_HEADER, SessionCheck
from caredesk.domain.drafts import DRAFT_APPROVERS
from caredesk.domain.roles import AUDITORS, CASE_WORKERS, DOCUMENT_READERS, UPLOADERS, Role
from caredesk.web import formatting

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@dataclass(frozen=True)
class NavEntry:
    """One item of the top navigation; `roles` must equal the gate of the page it opens."""

    label: str
    path: str
    roles: frozenset[Role]

    def is_current(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path + "/")


# The top navigation, in order. A new page adds its entry here with its gate's roles.
NAV: tuple[NavEntry, ...] = (
    NavEntry("Intake", "/intake", UPLOADERS),
    NavEntry("Documents", "/documents", DOCUMENT_READERS),
    NavEntry("Worklist", "/worklist", CASE_WORKERS),
    NavEntry("Review", "/review", DRAFT_APPROVERS),
    NavEntry("Copilot", "/copilot", CASE_WORKERS),
    NavEntry("Compliance", "/compliance", AUDITORS),
)


def nav_for(principal: Principal | None) -> list[NavEntry]:
    if principal is None:
        return []
    return [entry for entry in NAV if principal.role in entry.roles]


def when(moment: datetime | str | None) -> str:
    """A time as people read it in a table: `2026-11-28 15:04 UTC`."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def file_size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.1f} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def merge_query(params: Mapping[str, object], **updates: object) -> str:
    """A query string from the current filters with some changed; empty values left out."""
    merged = {**params, **updates}
    return urlencode({key: value for key, value in merged.items() if value not in ("", None, 0)})


templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters.update(
    when=when,
    file_size=file_size,
    merge_query=merge_query,
    label=formatting.field_label,
    percent=formatting.percent,
    countdown=formatting.countdown,
    case_value=formatting.case_value,
    diff_lines=formatting.diff_lines,
    humanize=formatting.humanize,
    joined=formatting.joined,
)
templates.env.globals.update(version=__version__, csrf_field=CSRF_FIELD, csrf_header=CSRF_HEADER)


def principal_of_request(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def csrf_token_of(request: Request) -> str:
    check: SessionCheck | None = getattr(request.state, "web_session", None)
    return check.csrf_token if check is not None and check.principal is not None else ""


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page or fragment with the signed-in user, their navigation and the CSRF token."""
    principal = principal_of_request(request)
    page_context = {
        "principal": principal,
        "nav": nav_for(principal),
        "current_path": request.url.path,
        "csrf_token": csrf_token_of(request),
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, template, page_context, status_code=status_code, headers=dict(headers or {})
    )
