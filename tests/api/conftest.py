from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from billing_app.api.app import create_api
from tests.factories import emailed_token


@pytest.fixture
def client(db) -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


def signup(client: TestClient, email: str = "asha@example.com", *, verified: bool = True, **extra: str) -> dict:
    """Sign up over the API; `verified` then opens the emailed link (POST /auth/verify), which
    grants the signup credit."""
    body = {"email": email, "password": "correct horse", "name": "Asha Rao", "org_name": "Acme"} | extra
    response = client.post("/auth/signup", json=body)
    assert response.status_code == 201, response.text
    if verified:
        done = client.post("/auth/verify", json={"token": emailed_token(response.json()["email"])})
        assert done.status_code == 200, done.text
    return response.json()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str, type_: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if type_:
        assert error["type"] == type_
    return error
