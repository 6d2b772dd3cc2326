"""Integers no BIGINT can hold, and other values that passed validation and failed in the
database as 500s: each is refused where it is parsed, with the error a client can act on, on
both databases, and nothing is written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from billing_app.api.app import create_api
from billing_app.models.types import MAX_BIGINT
from tests.api.conftest import assert_error, auth, signup

TOO_BIG = 10**30
HUGE_ID = 99999999999999999999999


@pytest.fixture
def client(any_db) -> TestClient:
    with TestClient(create_api(mount_sandbox=False), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token(client) -> str:
    return signup(client)["token"]


def keys_of(client: TestClient, token: str) -> list[dict]:
    return client.get("/me/keys", headers=auth(token)).json()["keys"]


@pytest.mark.parametrize("budget", [TOO_BIG, MAX_BIGINT + 1, -1])
def test_a_budget_no_bigint_holds_is_422_naming_the_field_and_creates_no_key(client, token, budget):
    response = client.post("/me/keys", json={"name": "a", "monthly_budget_micros": budget}, headers=auth(token))
    assert assert_error(response, 422, "invalid_request")["field"] == "monthly_budget_micros"
    assert keys_of(client, token) == []


def test_the_largest_budget_a_bigint_holds_is_kept_exactly(client, token):
    response = client.post("/me/keys", json={"name": "a", "monthly_budget_micros": MAX_BIGINT}, headers=auth(token))
    assert response.status_code == 201, response.text
    assert keys_of(client, token)[0]["monthly_budget_micros"] == MAX_BIGINT


def test_changing_a_budget_to_one_no_bigint_holds_changes_nothing(client, token):
    key = client.post("/me/keys", json={"name": "a", "monthly_budget_micros": 5}, headers=auth(token)).json()
    response = client.patch(f"/me/keys/{key['id']}", json={"monthly_budget_micros": TOO_BIG}, headers=auth(token))
    assert assert_error(response, 422, "invalid_request")["field"] == "monthly_budget_micros"
    assert keys_of(client, token)[0]["monthly_budget_micros"] == 5


@pytest.mark.parametrize("key_id", [HUGE_ID, MAX_BIGINT + 1, -1])
def test_a_key_id_no_bigint_holds_is_not_found_and_revokes_nothing(client, token, key_id):
    client.post("/me/keys", json={"name": "a"}, headers=auth(token))
    assert_error(client.delete(f"/me/keys/{key_id}", headers=auth(token)), 404, "not_found", "not_found_error")
    patched = client.patch(f"/me/keys/{key_id}", json={"monthly_budget_micros": 1}, headers=auth(token))
    assert_error(patched, 404, "not_found", "not_found_error")
    assert [k["status"] for k in keys_of(client, token)] == ["active"]


def test_the_largest_id_is_simply_not_found(client, token):
    assert_error(client.delete(f"/me/keys/{MAX_BIGINT}", headers=auth(token)), 404, "not_found")


@pytest.mark.parametrize("cursor", [str(HUGE_ID), str(MAX_BIGINT + 1), "²", "-1", "1.5"])
def test_a_ledger_cursor_this_api_cannot_have_returned_is_422(client, token, cursor):
    response = client.get("/me/billing", params={"cursor": cursor}, headers=auth(token))
    assert assert_error(response, 422, "invalid_request")["field"] == "cursor"


def test_the_largest_cursor_pages_from_the_newest_entry(client, token):
    response = client.get("/me/billing", params={"cursor": str(MAX_BIGINT)}, headers=auth(token))
    assert response.status_code == 200, response.text
    assert [e["type"] for e in response.json()["entries"]] == ["signup_credit"]


@pytest.mark.parametrize("day", ["0", "1700000000", "2026-1-1", "yesterday"])
def test_usage_days_are_calendar_days_only(client, token, day):
    """pydantic alone read "0" as a Unix time and answered for 1 January 1970."""
    response = client.get("/me/usage/daily", params={"to": day}, headers=auth(token))
    assert assert_error(response, 422, "invalid_request")["field"] == "to"


def test_a_body_that_is_not_text_is_a_malformed_request(client, token):
    response = client.post("/me/keys", content=b"\xff\xfe{", headers=auth(token) | {"content-type": "application/json"})
    assert_error(response, 422, "invalid_request", "invalid_request_error")
    assert keys_of(client, token) == []


@pytest.mark.parametrize("amount", ["٥٠٠", "５００"])
def test_a_top_up_amount_in_other_scripts_digits_is_amount_invalid(client, token, amount):
    client.put(
        "/me/billing/address",
        json={"name": "A", "line1": "1 Road", "city": "Bengaluru", "state_code": "29", "pin": "560001"},
        headers=auth(token),
    )
    response = client.post("/me/billing/orders", json={"amount": amount}, headers=auth(token))
    assert_error(response, 400, "amount_invalid", "billing_error")


@pytest.mark.parametrize(
    ("query", "field"),
    [({"to": "0001-01-01"}, "to"), ({"from": "0001-01-01"}, "from"), ({"to": "9999-12-31"}, "to")],
)
def test_usage_days_near_the_calendars_ends_are_422(client, token, query, field):
    """29 days before 1 January of year 1 was an OverflowError, answered as a 500."""
    for path in ("/me/usage", "/me/usage/daily", "/me/usage/export.csv"):
        response = client.get(path, params=query, headers=auth(token))
        assert assert_error(response, 422, "invalid_request")["field"] == field
