from __future__ import annotations

import pytest

from billing_app.context import reset_context
from tests.api.conftest import assert_error, auth, signup


def test_signup_login_logout_round_trip(client):
    created = signup(client)
    assert created["token"] and created["currency"] == "INR"
    login = client.post("/auth/login", json={"email": "asha@example.com", "password": "correct horse"})
    assert login.status_code == 200
    token = login.json()["token"]
    assert client.get("/me/billing", headers=auth(token)).status_code == 200
    assert client.post("/auth/logout", headers=auth(token)).status_code == 204
    assert_error(client.get("/me/billing", headers=auth(token)), 401, "unauthenticated", "authentication_error")


def test_duplicate_email_is_a_clear_conflict(client):
    signup(client)
    error = assert_error(
        client.post(
            "/auth/signup",
            json={"email": "ASHA@example.com", "password": "correct horse", "name": "A", "org_name": "B"},
        ),
        409,
        "email_taken",
    )
    assert "already exists" in error["message"]


def test_wrong_password_is_401(client):
    signup(client)
    response = client.post("/auth/login", json={"email": "asha@example.com", "password": "wrong password"})
    assert_error(response, 401, "unauthenticated", "authentication_error")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com", "password": "correct horse", "name": "A"},  # missing org_name
        {"email": "a@example.com", "password": 12345678, "name": "A", "org_name": "B"},  # wrong type
        {"email": ["a"], "password": "correct horse", "name": "A", "org_name": "B"},
    ],
)
def test_malformed_signup_is_422_invalid_request(client, body):
    assert_error(client.post("/auth/signup", json=body), 422, "invalid_request", "invalid_request_error")


def test_malformed_json_is_422_invalid_request(client):
    response = client.post("/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_request", "invalid_request_error")


def test_short_password_is_422_with_the_field(client):
    response = client.post(
        "/auth/signup", json={"email": "a@example.com", "password": "short", "name": "A", "org_name": "B"}
    )
    assert assert_error(response, 422, "invalid_request")["field"] == "password"


def test_signup_brute_force_is_rate_limited(client):
    for i in range(20):
        signup(client, email=f"u{i}@example.com")
    response = client.post(
        "/auth/signup", json={"email": "u99@example.com", "password": "correct horse", "name": "A", "org_name": "B"}
    )
    assert_error(response, 429, "rate_limited", "rate_limit_error")


def test_logout_needs_a_token(client):
    assert_error(client.post("/auth/logout"), 401, "unauthenticated")


def _signups(client, forwarded_for: list[str], who: str = "p") -> list[int]:
    statuses = []
    for i, chain in enumerate(forwarded_for):
        body = {"email": f"{who}{i}@example.com", "password": "correct horse", "name": "A", "org_name": "B"}
        statuses.append(client.post("/auth/signup", json=body, headers={"X-Forwarded-For": chain}).status_code)
    return statuses


def test_behind_a_trusted_proxy_each_caller_has_its_own_signup_limit(client, monkeypatch):
    """Behind a load balancer every request comes from its address: with TRUSTED_PROXY_HOPS=1
    the limit is per caller (the entry the proxy appended), as the README promises."""
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    reset_context()
    assert set(_signups(client, [f"203.0.113.{i}" for i in range(25)])) == {201}
    # what a caller writes further left is not trusted: it cannot dodge its own limit
    forged = _signups(client, [f"198.51.100.{i}, 192.0.2.7" for i in range(21)], who="forger")
    assert forged == [201] * 20 + [429]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client):
    assert _signups(client, [f"203.0.113.{i}" for i in range(21)]) == [201] * 20 + [429]
