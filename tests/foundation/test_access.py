"""Every route declares its roles; a role × route matrix checks 401 vs 403 vs allowed."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from caredesk.api.app import api_routes, check_role_declarations, create_app
from caredesk.api.resources import Resources
from caredesk.domain.roles import Role
from caredesk.settings import Settings


def test_every_route_declares_who_may_call_it(client: TestClient) -> None:
    routes = api_routes(client.app)  # type: ignore[arg-type]
    assert len(routes) >= 10
    undeclared = [r.path for r in routes if r.gate is None]
    assert undeclared == []


def test_an_undeclared_route_stops_the_app_from_starting(
    settings: Settings, resources: Resources
) -> None:
    app = create_app(settings, resources=resources, start_workers=False)
    stray = APIRouter()

    @stray.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    app.include_router(stray)
    with pytest.raises(RuntimeError, match="/api/forgotten"):
        check_role_declarations(app)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "doc_doesnotexist", path)


def test_role_route_matrix(client: TestClient, auth: dict[Role, dict[str, str]]) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    checked = 0
    for route in api_routes(app):
        for method in route.methods - {"HEAD"}:
            url = _concrete(route.path)
            anonymous = client.request(method, url)
            if route.gate is None or route.gate.roles is None:
                assert anonymous.status_code not in (401, 403), route.path
                continue
            assert anonymous.status_code == 401, (method, route.path)
            assert anonymous.headers.get("www-authenticate") == "Bearer"
            for role in Role:
                response = client.request(method, url, headers=auth[role])
                if role in route.gate.roles:
                    assert response.status_code not in (401, 403), (role, method, route.path)
                else:
                    assert response.status_code == 403, (role, method, route.path)
                    assert role.value in response.json()["reason"]
                checked += 1
    assert checked >= 36


def test_bad_or_revoked_tokens_are_401(client: TestClient) -> None:
    for header in ("Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "cdk_token"):
        response = client.get("/api/auth/me", headers={"Authorization": header})
        assert response.status_code == 401


def test_token_flow_and_wrong_password(
    client: TestClient, auth: dict[Role, dict[str, str]], resources: Resources
) -> None:
    from caredesk.accounts.service import create_user
    from caredesk.audit.log import SYSTEM
    from caredesk.storage.db import transaction

    with transaction(resources.db) as session:
        create_user(session, "dana", "reviewer", password="correct horse battery", by=SYSTEM)
    wrong = client.post("/api/auth/token", json={"username": "dana", "password": "nope"})
    assert wrong.status_code == 401
    assert (
        client.post("/api/auth/token", json={"username": "nobody", "password": "x"}).status_code
        == 401
    )
    good = client.post(
        "/api/auth/token", json={"username": "Dana", "password": "correct horse battery"}
    )
    assert good.status_code == 200
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {good.json()['token']}"})
    assert me.json()["role"] == "reviewer"


def test_tokens_and_passwords_are_stored_hashed(
    client: TestClient, tokens: dict[Role, str], resources: Resources
) -> None:
    from sqlalchemy import text

    with resources.engine.connect() as connection:
        stored = " ".join(
            str(v)
            for row in connection.execute(
                text("SELECT token_hash FROM api_tokens UNION ALL SELECT password_hash FROM users")
            )
            for v in row
        )
    for token in tokens.values():
        assert token not in stored
    assert "$argon2id$" in stored


def test_admin_creates_users_and_others_cannot(
    client: TestClient, auth: dict[Role, dict[str, str]]
) -> None:
    body = {"username": "erin", "role": "coordinator"}
    assert client.post("/api/users", json=body, headers=auth[Role.COORDINATOR]).status_code == 403
    created = client.post("/api/users", json=body, headers=auth[Role.ADMIN])
    assert created.status_code == 201
    assert len(created.json()["password"]) >= 12
    assert client.post("/api/users", json=body, headers=auth[Role.ADMIN]).status_code == 409
    bad_role = client.post(
        "/api/users", json={"username": "x", "role": "surgeon"}, headers=auth[Role.ADMIN]
    )
    assert bad_role.status_code == 422
    assert "surgeon" in bad_role.json()["reason"]
