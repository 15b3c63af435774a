"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from caredesk import __version__
from caredesk.api.deps import ResourcesDep, public
from caredesk.api.resources import Resources
from caredesk.ingest.tesseract import missing_language_data, tessdata_dir

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[public()], summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests."""
    return {"status": "ok", "version": __version__}


def _check_database(resources: Resources) -> str:
    try:
        with resources.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def _check_blobs(resources: Resources) -> str:
    return "ok" if resources.blobs.writable() else f"not writable: {resources.blobs.root}"


def _check_tesseract(_resources: Resources) -> str:
    return missing_language_data(tessdata_dir()) or "ok"


READINESS_CHECKS = {
    "database": _check_database,
    "blob_store": _check_blobs,
    "tesseract": _check_tesseract,
}


@router.get(
    "/readyz",
    dependencies=[public()],
    summary="Readiness: database, blob directory and OCR engine are usable",
    responses={503: {"description": "At least one check failed; the body says which"}},
)
def readyz(resources: ResourcesDep) -> JSONResponse:
    """200 when every check passes, 503 with each check's result otherwise."""
    checks = {name: check(resources) for name, check in READINESS_CHECKS.items()}
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", dependencies=[public()], summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    """Request counts and latencies, documents and jobs by status (text exposition format)."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
