"""The service shell: health, readiness, metrics, request ids, OpenAPI, PHI-free logs, docs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from fastapi.testclient import TestClient

from caredesk.api.app import api_routes, create_app
from caredesk.api.resources import Resources
from caredesk.logs import configure_logging
from caredesk.settings import Settings, configuration_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "blob_store": "ok", "tesseract": "ok"}


def test_readiness_fails_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    resources = Resources.build(broken, migrate=False)
    try:
        with TestClient(create_app(broken, resources=resources, start_workers=False)) as client:
            response = client.get("/readyz")
    finally:
        resources.close()
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")


def test_request_id_is_echoed_or_created(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["x-request-id"])
    missing = client.get("/api/documents/doc_x")
    assert missing.json()["request_id"] == missing.headers["x-request-id"]


def test_metrics_expose_requests_and_state(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert "caredesk_http_requests_total" in text
    assert 'route="/healthz"' in text


def test_every_route_is_described_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) == len([m for r in api_routes(client.app) for m in r.methods])  # type: ignore[arg-type]
    for operation in operations:
        assert operation.get("summary") and operation.get("description"), operation


def test_logs_are_json_and_never_carry_patient_data(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, log_format="json", _env_file=None)  # type: ignore[call-arg]
    configure_logging(settings)
    import structlog

    structlog.get_logger("test").info(
        "document.read",
        document_id="doc_1",
        patient_name="Marigold Testwell",
        text="MRI of L-spine",
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    line = (tmp_path / "logs" / "caredesk.log").read_text().strip().splitlines()[-1]
    event = json.loads(line)
    assert event["document_id"] == "doc_1"
    assert "Marigold" not in line and "L-spine" not in line


def test_readme_configuration_table_matches_settings() -> None:
    text = README.read_text()
    start, end = "<!-- settings:start -->", "<!-- settings:end -->"
    assert start in text and end in text, "README lacks the generated configuration table"
    table = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert table == configuration_table(), (
        "README configuration table is stale: run `python -m caredesk.settings --update`"
    )
