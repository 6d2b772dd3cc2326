"""API keys over REST: the secret comes back once, hashed at rest, listed with spend and
last use, revoked with 404 for anything not the caller's; the routing profile."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from billing_app.db import write_engine
from billing_app.services import pricing
from tests.api.conftest import assert_error, auth, signup


@pytest.fixture(autouse=True)
def catalog(client) -> None:
    pricing.load_catalog()


def test_create_shows_the_secret_once_and_stores_only_its_hash(client):
    me = signup(client)
    response = client.post(
        "/me/keys", json={"name": "prod", "monthly_budget_micros": 500_000_000}, headers=auth(me["token"])
    )
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["key"]
    assert secret.startswith("sk-live-") and len(secret) > 30
    assert created["prefix"] == secret[:12] and created["status"] == "active"
    assert (created["monthly_budget_micros"], created["month_spend_micros"], created["last_used_at"]) == (
        500_000_000,
        0,
        None,
    )

    listed = client.get("/me/keys", headers=auth(me["token"])).json()
    assert listed["currency"] == "INR"
    [key] = listed["keys"]
    assert "key" not in key and key["id"] == created["id"]
    with write_engine().connect() as conn:
        stored = conn.execute(sa.text("select key_hash, prefix from api_key")).one()
    assert stored == (hashlib.sha256(secret.encode()).hexdigest(), secret[:12])


def test_list_shows_last_use_and_this_months_spend(client):
    me = signup(client)
    secret = client.post("/me/keys", json={"name": "a"}, headers=auth(me["token"])).json()["key"]
    body = {"request_id": "1", "model": "sandbox-echo", "prompt_tokens": 0, "completion_tokens": 1000}
    assert client.post("/v1/billing/usage", json=body, headers=auth(secret)).status_code == 200
    [key] = client.get("/me/keys", headers=auth(me["token"])).json()["keys"]
    assert key["month_spend_micros"] == 56_100
    assert key["last_used_at"].endswith("+05:30") and key["monthly_budget_micros"] is None


def test_revoke(client):
    me = signup(client)
    created = client.post("/me/keys", json={"name": "old"}, headers=auth(me["token"])).json()
    assert client.delete(f"/me/keys/{created['id']}", headers=auth(me["token"])).status_code == 204
    assert client.delete(f"/me/keys/{created['id']}", headers=auth(me["token"])).status_code == 204
    [key] = client.get("/me/keys", headers=auth(me["token"])).json()["keys"]
    assert key["status"] == "revoked" and key["revoked_at"].endswith("+05:30")
    body = {"request_id": "r", "model": "sandbox-echo"}
    assert_error(client.post("/v1/billing/authorize", json=body, headers=auth(created["key"])), 401, "invalid_api_key")


def test_another_orgs_key_is_not_found(client):
    asha = signup(client, email="asha@example.com")
    ravi = signup(client, email="ravi@example.com", org_name="Other")
    key = client.post("/me/keys", json={"name": "asha's"}, headers=auth(asha["token"])).json()
    assert_error(
        client.delete(f"/me/keys/{key['id']}", headers=auth(ravi["token"])), 404, "not_found", "not_found_error"
    )
    assert_error(client.delete("/me/keys/999999", headers=auth(ravi["token"])), 404, "not_found")
    assert client.get("/me/keys", headers=auth(ravi["token"])).json()["keys"] == []
    [still] = client.get("/me/keys", headers=auth(asha["token"])).json()["keys"]
    assert still["status"] == "active"


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 81},
        {"name": "k", "monthly_budget_micros": -1},
        {"name": "k", "monthly_budget_micros": 1.5},
        {},
    ],
    ids=["empty", "blank", "long", "negative-budget", "float-budget", "missing"],
)
def test_bad_keys_are_refused(client, body):
    me = signup(client)
    assert_error(client.post("/me/keys", json=body, headers=auth(me["token"])), 422, "invalid_request")


def test_a_keys_budget_can_be_raised_lowered_and_cleared_and_authorize_follows_at_once(client):
    """A key that hit its budget gets 429; raising the budget lets its next request through
    without a new key, lowering it below this month's spend refuses again, null removes it."""
    me = signup(client)
    created = client.post(
        "/me/keys", json={"name": "prod", "monthly_budget_micros": 50_000}, headers=auth(me["token"])
    ).json()
    secret, path = created["key"], f"/me/keys/{created['id']}"
    spend = {"request_id": "1", "model": "sandbox-echo", "prompt_tokens": 0, "completion_tokens": 1000}
    assert client.post("/v1/billing/usage", json=spend, headers=auth(secret)).status_code == 200  # 56,100 spent
    ask = {"request_id": "2", "model": "sandbox-echo", "max_tokens": 10}
    assert_error(client.post("/v1/billing/authorize", json=ask, headers=auth(secret)), 429, "budget_exceeded")

    raised = client.patch(path, json={"monthly_budget_micros": 100_000_000}, headers=auth(me["token"]))
    assert raised.status_code == 200, raised.text
    assert raised.json()["monthly_budget_micros"] == 100_000_000
    assert raised.json()["month_spend_micros"] == 56_100  # the month's spend is kept
    assert "key" not in raised.json()  # the secret is never shown again
    assert client.post("/v1/billing/authorize", json=ask, headers=auth(secret)).status_code == 200

    lowered = client.patch(path, json={"monthly_budget_micros": 56_100}, headers=auth(me["token"]))
    assert lowered.json()["monthly_budget_micros"] == 56_100
    ask["request_id"] = "3"
    assert_error(client.post("/v1/billing/authorize", json=ask, headers=auth(secret)), 429, "budget_exceeded")

    cleared = client.patch(path, json={"monthly_budget_micros": None}, headers=auth(me["token"]))
    assert cleared.json()["monthly_budget_micros"] is None
    assert client.post("/v1/billing/authorize", json=ask, headers=auth(secret)).status_code == 200
    [listed] = client.get("/me/keys", headers=auth(me["token"])).json()["keys"]
    assert listed["monthly_budget_micros"] is None


@pytest.mark.parametrize(
    "body",
    [{"monthly_budget_micros": -1}, {"monthly_budget_micros": 1.5}, {"monthly_budget_micros": "5"}, {}],
    ids=["negative", "float", "text", "missing"],
)
def test_bad_budget_changes_are_refused_and_change_nothing(client, body):
    me = signup(client)
    key = client.post("/me/keys", json={"name": "k", "monthly_budget_micros": 7}, headers=auth(me["token"])).json()
    response = client.patch(f"/me/keys/{key['id']}", json=body, headers=auth(me["token"]))
    error = assert_error(response, 422, "invalid_request")
    assert error["field"] == "monthly_budget_micros"
    [still] = client.get("/me/keys", headers=auth(me["token"])).json()["keys"]
    assert still["monthly_budget_micros"] == 7


def test_only_an_active_key_of_ones_own_org_can_have_its_budget_changed(client):
    asha = signup(client, email="asha@example.com")
    ravi = signup(client, email="ravi@example.com", org_name="Other")
    key = client.post("/me/keys", json={"name": "asha's"}, headers=auth(asha["token"])).json()
    budget = {"monthly_budget_micros": 1}
    assert_error(client.patch(f"/me/keys/{key['id']}", json=budget, headers=auth(ravi["token"])), 404, "not_found")
    assert_error(client.patch("/me/keys/999999", json=budget, headers=auth(asha["token"])), 404, "not_found")
    assert_error(client.patch(f"/me/keys/{key['id']}", json=budget), 401, "unauthenticated")
    client.delete(f"/me/keys/{key['id']}", headers=auth(asha["token"]))
    refused = assert_error(
        client.patch(f"/me/keys/{key['id']}", json=budget, headers=auth(asha["token"])), 422, "invalid_request"
    )
    assert "revoked" in refused["message"]
    [still] = client.get("/me/keys", headers=auth(asha["token"])).json()["keys"]
    assert still["monthly_budget_micros"] is None


def test_keys_need_a_session(client):
    assert_error(client.get("/me/keys"), 401, "unauthenticated")
    assert_error(client.post("/me/keys", json={"name": "x"}), 401, "unauthenticated")


def test_routing_profile(client):
    me = signup(client)
    headers = auth(me["token"])
    assert client.get("/me/routing-profile", headers=headers).json() == {
        "mode": "auto",
        "markup_percent": 10,
        "markups": {"auto": 10, "tier": 8},
    }
    assert client.put("/me/routing-profile", json={"mode": "tier"}, headers=headers).json()["markup_percent"] == 8
    error = assert_error(
        client.post("/me/routing-profile", json={"mode": "auto"}, headers=headers), 409, "routing_profile_exists"
    )
    assert "already has a routing profile" in error["message"]
    assert client.get("/me/routing-profile", headers=headers).json()["mode"] == "tier"
    assert_error(client.put("/me/routing-profile", json={"mode": "cheapest"}, headers=headers), 422, "invalid_request")
