"""GET /ready: 200 when the database (and Redis, when set) answer; 503 in the envelope, naming
what failed, without a password, and quickly, when one does not."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from billing_app.api.app import create_api
from billing_app.context import reset_context
from tests.api.conftest import assert_error
from tests.api_processes import require_redis


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (into the backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def use(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_context()


def test_ready_on_sqlite_without_auth(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "redis": "not configured"}


def test_ready_on_postgres(postgres_db):
    with TestClient(create_api(mount_sandbox=False)) as client:
        response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "redis": "not configured"}


def test_ready_with_redis(client, monkeypatch):
    use(monkeypatch, REDIS_URL=require_redis())
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "redis": "ok"}


def test_503_when_the_database_does_not_answer(client, monkeypatch):
    use(monkeypatch, DATABASE_URL=f"postgresql://postgres:pg-Secret%2F1@127.0.0.1:{closed_port()}/billing")
    started = time.monotonic()
    response = client.get("/ready")
    assert time.monotonic() - started < 2
    error = assert_error(response, 503, "unavailable", "api_error")
    assert "database" in error["message"]
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"].startswith("error: ") and "refused" in body["database"]
    assert body["redis"] == "not configured"
    assert "pg-Secret" not in response.text


def test_503_when_redis_does_not_answer(client, monkeypatch):
    use(monkeypatch, REDIS_URL=f"redis://:redis-Secret@127.0.0.1:{closed_port()}/1")
    response = client.get("/ready")
    error = assert_error(response, 503, "unavailable", "api_error")
    assert "Redis" in error["message"]
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: ")
    assert "redis-Secret" not in response.text


def test_a_silent_server_is_503_within_the_timeout(client, monkeypatch, silent_port):
    """A load balancer's probe never hangs: a database and a Redis that accept the connection
    and never answer cost about the 2 s timeout, both checked at once."""
    use(
        monkeypatch,
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{silent_port}/billing",
        REDIS_URL=f"redis://127.0.0.1:{silent_port}/1",
    )
    started = time.monotonic()
    response = client.get("/ready")
    assert time.monotonic() - started < 4
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["database"].startswith("error: ") and body["redis"].startswith("error: ")


def test_ready_is_documented_with_both_responses(client):
    operation = client.get("/openapi.json").json()["paths"]["/ready"]["get"]
    assert "security" not in operation
    schemas = {
        status: r["content"]["application/json"]["schema"]["$ref"] for status, r in operation["responses"].items()
    }
    assert schemas == {"200": "#/components/schemas/ReadyOut", "503": "#/components/schemas/NotReadyOut"}
