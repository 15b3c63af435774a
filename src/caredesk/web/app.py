"""The web pages as one sub-application served at the site root, beside the API under /api."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import Scope

from caredesk.api.resources import Resources
from caredesk.web.errors import install_page_errors
from caredesk.web.rendering import STATIC_DIR
from caredesk.web.routes import (
    auth,
    cases,
    compliance,
    copilot,
    documents,
    fields,
    home,
    review,
    trail,
)

# Each area's pages; a new area adds its router here.
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    home.router,
    documents.router,
    fields.router,
    cases.router,
    copilot.router,
    review.router,
    compliance.router,
    trail.router,
)
STATIC_PATH = "/static"
# Everything under this prefix belongs to the outer app (the API keeps its own 404 and 405).
API_PREFIX = "/api"

# No inline scripts or styles and nothing from another origin: the pages need none.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith(STATIC_PATH + "/"):
        # Pages show patient documents: never keep them in a shared or back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_web_app(resources: Resources) -> FastAPI:
    """The pages, their static assets and their HTML error pages. Every page route carries a
    role gate; `caredesk.api.app` checks that at start-up, exactly as for the API."""
    web = FastAPI(title="caredesk web", openapi_url=None, docs_url=None, redoc_url=None)
    web.state.resources = resources
    install_page_errors(web)
    web.middleware("http")(_security_headers)
    web.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    for router in PAGE_ROUTERS:
        web.include_router(router)
    return web


class PagesMount(Mount):
    """Mounts the pages at the root without swallowing unknown API paths or wrong methods."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = str(scope.get("path", ""))
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def mount_pages(app: FastAPI, web: FastAPI) -> None:
    """Serve `web` for every path the outer app's own routes did not claim; call it last."""
    app.router.routes.append(PagesMount("", app=web, name="web"))


def page_app(app: FastAPI) -> FastAPI:
    """The pages sub-application mounted into `app` (tests walk its routes)."""
    for route in app.router.routes:
        if isinstance(route, PagesMount) and isinstance(route.app, FastAPI):
            return route.app
    raise LookupError("no web pages mounted")
