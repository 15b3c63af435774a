"""Shared fixtures: settings in a temp data dir, real SQLite and PostgreSQL, an app client."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.support.fake_openai import fake_openai, fake_openai_server  # noqa: F401

from caredesk.accounts.service import create_user, issue_token
from caredesk.api.app import create_app
from caredesk.api.resources import Resources
from caredesk.audit.log import SYSTEM
from caredesk.domain.roles import Role
from caredesk.settings import Settings
from caredesk.storage.db import transaction

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "CAREDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def service_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip with a reason when a service is down; under CI=true a missing service fails."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: integration services are required)")
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"caredesk_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'caredesk.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        kb_autoload=False,
        seed_demo=False,
        log_format="console",
        job_workers=1,
        job_lease_s=5,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def resources(settings: Settings) -> Iterator[Resources]:
    built = Resources.build(settings)
    yield built
    built.close()


@pytest.fixture
def client(settings: Settings, resources: Resources) -> Iterator[TestClient]:
    with TestClient(create_app(settings, resources=resources)) as test_client:
        yield test_client


@pytest.fixture
def tokens(resources: Resources) -> dict[Role, str]:
    """One user per role, with a bearer token each."""
    issued: dict[Role, str] = {}
    with transaction(resources.db) as session:
        for role in Role:
            user, _ = create_user(session, f"{role.value}-user", role.value, by=SYSTEM)
            issued[role] = issue_token(session, user, "tests")
    return issued


@pytest.fixture
def auth(tokens: dict[Role, str]) -> dict[Role, dict[str, str]]:
    """Authorization headers per role."""
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
