"""GET, PUT, DELETE /me/billing/alerts."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.models import EmailKind, EmailOutbox
from billing_app.services import alerts
from tests.api.conftest import assert_error, auth, signup

PATH = "/me/billing/alerts"


def test_no_threshold_at_first(client):
    token = signup(client, "asha@example.com")["token"]
    response = client.get(PATH, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "threshold_micros": None,
        "balance_micros": 100_000_000,
        "currency": "INR",
        "recipient": "asha@example.com",
        "last_alert_at": None,
    }


def test_put_sets_and_changes_then_delete_clears(client):
    token = signup(client)["token"]
    put = client.put(PATH, json={"threshold_micros": 50_000_000}, headers=auth(token))
    assert put.status_code == 200, put.text
    body = put.json()
    assert (body["threshold_micros"], body["balance_micros"], body["currency"]) == (50_000_000, 100_000_000, "INR")
    changed = client.put(PATH, json={"threshold_micros": 250_500_000}, headers=auth(token)).json()
    assert changed["threshold_micros"] == 250_500_000
    assert client.get(PATH, headers=auth(token)).json()["threshold_micros"] == 250_500_000

    deleted = client.delete(PATH, headers=auth(token))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get(PATH, headers=auth(token)).json()["threshold_micros"] is None
    assert client.delete(PATH, headers=auth(token)).status_code == 204  # idempotent


def test_setting_a_threshold_above_the_balance_sends_nothing(client):
    token = signup(client)["token"]
    assert client.put(PATH, json={"threshold_micros": 500_000_000}, headers=auth(token)).status_code == 200
    with read_session() as session:
        assert session.exec(select(EmailOutbox).where(col(EmailOutbox.kind) == EmailKind.LOW_BALANCE)).all() == []


def test_zero_is_a_threshold(client):
    token = signup(client)["token"]
    body = client.put(PATH, json={"threshold_micros": 0}, headers=auth(token)).json()
    assert body["threshold_micros"] == 0


def test_each_org_sees_only_its_own(client):
    first = signup(client, "first@example.com")["token"]
    second = signup(client, "second@example.com")["token"]
    client.put(PATH, json={"threshold_micros": 1}, headers=auth(first))
    assert client.get(PATH, headers=auth(second)).json()["threshold_micros"] is None
    assert client.get(PATH, headers=auth(second)).json()["recipient"] == "second@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"threshold_micros": -1},
        {"threshold_micros": "100"},
        {"threshold_micros": 1.5},
        {"threshold_micros": 100.0},
        {"threshold_micros": True},
        {"threshold_micros": None},
        {"threshold_micros": alerts.MAX_THRESHOLD_MICROS + 1},
        {"threshold": 100},
        {},
        [],
    ],
)
def test_invalid_threshold_is_422(client, body):
    token = signup(client)["token"]
    response = client.put(PATH, json=body, headers=auth(token))
    assert_error(response, 422, "invalid_request", "invalid_request_error")
    assert client.get(PATH, headers=auth(token)).json()["threshold_micros"] is None


def test_malformed_json_is_422(client):
    token = signup(client)["token"]
    response = client.put(PATH, content=b"{not json", headers=auth(token) | {"Content-Type": "application/json"})
    assert_error(response, 422, "invalid_request", "invalid_request_error")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-session"}, {"Authorization": "Basic x"}])
def test_unauthenticated_is_401(client, method, headers):
    body = {"threshold_micros": 1} if method == "PUT" else None
    response = client.request(method, PATH, json=body, headers=headers)
    assert_error(response, 401, "unauthenticated", "authentication_error")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_documented_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths[PATH]) == {"get", "put", "delete"}
