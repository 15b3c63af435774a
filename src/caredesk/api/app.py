"""The FastAPI app factory: resources built in the lifespan, routers, errors, observability."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from caredesk import __version__
from caredesk.api.deps import RoleGate
from caredesk.api.errors import install_error_handlers
from caredesk.api.observability import Metrics, install_observability
from caredesk.api.resources import Resources
from caredesk.api.routers import (
    agent,
    audit,
    auth,
    cases,
    copilot,
    document_content,
    documents,
    drafts,
    health,
    kb,
    users,
)
from caredesk.settings import Settings
from caredesk.web.app import create_web_app, mount_pages

API_PREFIX = "/api"
# Health and metrics stay at the root where probes and scrapers expect them.
ROOT_ROUTERS = (health.router,)
API_ROUTERS = (
    auth.router,
    users.router,
    documents.router,
    document_content.router,
    audit.router,
    cases.router,
    agent.router,
    drafts.router,
    kb.router,
    copilot.router,
)

DESCRIPTION = """
caredesk takes the paper out of prior authorization: upload faxed referrals, invoices and payer
letters; caredesk reads them (OCR), classifies them and extracts every field with its evidence.

Authenticate with `Authorization: Bearer <token>` (get one from `POST /api/auth/token`).
Every route names the roles it allows; errors are JSON `{"error", "reason"}`.
"""


@dataclass(frozen=True)
class DeclaredRoute:
    """An API route as served (prefix included) with its role gate, if it has one."""

    path: str
    methods: frozenset[str]
    gate: RoleGate | None


def api_routes(app: FastAPI) -> list[DeclaredRoute]:
    """Every API route of the app, including those of included routers."""
    declared = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        gates = [d.dependency for d in context.dependencies if isinstance(d.dependency, RoleGate)]
        declared.append(
            DeclaredRoute(
                str(context.path), frozenset(context.methods or ()), gates[0] if gates else None
            )
        )
    return declared


def check_role_declarations(app: FastAPI) -> None:
    """Default deny: refuse to start if any route forgot to say who may call it."""
    missing = [f"{sorted(r.methods)} {r.path}" for r in api_routes(app) if r.gate is None]
    if missing:
        raise RuntimeError(f"routes without a role declaration: {missing}")


def create_app(
    settings: Settings, *, resources: Resources | None = None, start_workers: bool = True
) -> FastAPI:
    """A configured app. Tests may pass prebuilt `resources`; otherwise the lifespan builds them."""
    owned = resources is None
    resources = resources or Resources.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_workers:
            resources.start_kb_autoload()
            resources.start_workers()
        try:
            yield
        finally:
            if owned:
                resources.close()
            elif resources.runner is not None:
                resources.runner.stop()
                resources.runner = None

    app = FastAPI(
        title="caredesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "health", "description": "Liveness, readiness, metrics"},
            {"name": "auth", "description": "Tokens and the current user"},
            {"name": "users", "description": "User administration"},
            {"name": "documents", "description": "Upload and read documents"},
            {"name": "audit", "description": "The tamper-evident audit log"},
            {"name": "cases", "description": "PA cases, the worklist and packet export"},
            {"name": "drafts", "description": "Drafts and human sign-off before anything leaves"},
            {"name": "knowledge base", "description": "Payer rules: search, documents, versions"},
            {"name": "copilot", "description": "Grounded answers with citations; your threads"},
        ],
    )
    app.state.resources = resources
    app.state.metrics = Metrics(resources)
    install_error_handlers(app)
    install_observability(app, app.state.metrics)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    check_role_declarations(app)
    # The web pages: a sub-app at the root, after every API route, under the same discipline.
    pages = create_web_app(resources)
    check_role_declarations(pages)
    mount_pages(app, pages)
    return app
