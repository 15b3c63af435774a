"""The scale path, switched by settings alone: PostgreSQL + Celery workers on real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from tests.conftest import require_service

from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.settings import Settings
from caredesk.synthetic import build_file


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"redis://127.0.0.1:6379/{10 + int(worker.removeprefix('gw') or 0) % 5}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_documents_are_processed_by_a_celery_worker_on_postgres(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CAREDESK_DATA_DIR": str(tmp_path / "data"),
        "CAREDESK_DATABASE_URL": postgres_url,
        "CAREDESK_BROKER_URL": redis_url,
        "CAREDESK_LOG_FORMAT": "console",
        "CAREDESK_KB_AUTOLOAD": "false",
    }
    settings = Settings(
        data_dir=tmp_path / "data", database_url=postgres_url, broker_url=redis_url, _env_file=None
    )  # type: ignore[call-arg]
    resources = Resources.build(settings)  # migrates PostgreSQL
    exe = Path(sys.executable).with_name("caredesk")
    worker = subprocess.Popen(
        [str(exe), "worker", "--concurrency", "1", "--sweep-every", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        from caredesk.accounts.service import create_user, issue_token
        from caredesk.audit.log import SYSTEM
        from caredesk.storage.db import transaction

        with transaction(resources.db) as session:
            user, _ = create_user(session, "ivy", "intake", by=SYSTEM)
            token = issue_token(session, user)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app(settings, resources=resources)) as client:
            assert resources.runner is None  # no in-process workers when a broker is set
            referral = build_file(0, seed=7, fax_share=0, formats=("pdf",))
            upload = {"file": ("referral.pdf", referral.content)}
            body = client.post("/api/documents", headers=headers, files=upload).json()
            deadline = time.monotonic() + 240  # worker start-up and OCR on a busy machine
            while time.monotonic() < deadline:
                status = client.get(f"/api/documents/{body['id']}", headers=headers).json()
                if status["status"] == "ready":
                    break
                assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
                time.sleep(0.3)
            assert (status["status"], status["page_count"]) == ("ready", referral.truth["pages"])
            assert status["job_status"] == "done"
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        resources.close()
