"""Request ids, access logs and Prometheus metrics for every request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from caredesk.api.resources import Resources
from caredesk.storage.models import Document, Job

log = structlog.get_logger("caredesk.http")


class StateCollector(Collector):
    """Documents and jobs by status, read from the database at scrape time."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def collect(self) -> Iterator[GaugeMetricFamily]:
        documents = GaugeMetricFamily(
            "caredesk_documents", "Documents by status", labels=["status"]
        )
        jobs = GaugeMetricFamily("caredesk_jobs", "Background jobs by status", labels=["status"])
        with self.resources.read_db() as session:
            for model, family in ((Document, documents), (Job, jobs)):
                rows = session.execute(select(model.status, func.count()).group_by(model.status))
                for status, count in rows:
                    family.add_metric([status], count)
        yield documents
        yield jobs


class Metrics:
    def __init__(self, resources: Resources) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "caredesk_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "caredesk_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(StateCollector(resources))


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unmatched")


def install_observability(app: FastAPI, metrics: Metrics) -> None:
    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = _route_name(request)
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(request.method, route).observe(elapsed)
            # Paths only, never query strings: they may carry search text.
            log.info(
                "http.request",
                method=request.method,
                route=route,
                status=status,
                ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")
