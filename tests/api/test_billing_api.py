from __future__ import annotations

from billing_app.services import ledger, pricing, usage
from tests.api.conftest import assert_error, auth, signup


def test_new_account_shows_the_signup_credit(client):
    token = signup(client)["token"]
    body = client.get("/me/billing", headers=auth(token)).json()
    assert body["currency"] == "INR"
    assert body["balance_micros"] == 100_000_000
    assert body["next_cursor"] is None
    [entry] = body["entries"]
    assert entry["type"] == "signup_credit"
    assert entry["amount_micros"] == 100_000_000
    assert entry["balance_after_micros"] == 100_000_000
    assert entry["payment_id"] is None
    assert entry["created_at"].endswith("+05:30")
    assert "₹100" in entry["description"]


def test_one_org_never_sees_another_orgs_entries(client):
    asha = signup(client, email="asha@example.com")
    ravi = signup(client, email="ravi@example.com", org_name="Other")
    ledger.add_manual_entry(org_id=ravi["org_id"], amount_micros=7_000_000, reason="ravi only")
    asha_body = client.get("/me/billing", headers=auth(asha["token"])).json()
    assert [e["description"] for e in asha_body["entries"]] == ["Signup credit (₹100)"]
    assert asha_body["balance_micros"] == 100_000_000


def test_cursor_pagination(client):
    me = signup(client)
    for i in range(5):
        ledger.add_manual_entry(org_id=me["org_id"], amount_micros=1_000_000, reason=f"credit {i}")
    first = client.get("/me/billing?limit=4", headers=auth(me["token"])).json()
    assert [e["description"] for e in first["entries"]] == ["credit 4", "credit 3", "credit 2", "credit 1"]
    second = client.get(f"/me/billing?limit=4&cursor={first['next_cursor']}", headers=auth(me["token"])).json()
    assert [e["type"] for e in second["entries"]] == ["manual", "signup_credit"]
    assert second["next_cursor"] is None


def test_errors_use_the_envelope(client):
    assert_error(client.get("/me/billing"), 401, "unauthenticated", "authentication_error")
    assert_error(client.get("/me/billing", headers=auth("forged")), 401, "unauthenticated")
    token = signup(client)["token"]
    assert_error(client.get("/me/billing?limit=0", headers=auth(token)), 422, "invalid_request")
    assert_error(client.get("/me/billing?cursor=abc", headers=auth(token)), 422, "invalid_request")
    assert_error(client.get("/me/nothing-here", headers=auth(token)), 404, "not_found", "not_found_error")


def test_openapi_document_is_published(client):
    spec = client.get("/openapi.json").json()
    assert "/me/billing" in spec["paths"]
    assert "/auth/signup" in spec["paths"]


def test_daily_usage_lines_only_when_asked_for(client):
    pricing.load_catalog()
    me = signup(client)
    key = client.post("/me/keys", json={"name": "web"}, headers=auth(me["token"])).json()["key"]
    body = {"request_id": "r1", "model": "sandbox-echo", "prompt_tokens": 0, "completion_tokens": 1000}
    assert client.post("/v1/billing/usage", json=body, headers=auth(key)).status_code == 200

    plain = client.get("/me/billing", headers=auth(me["token"])).json()
    assert [e["type"] for e in plain["entries"]] == ["signup_credit"]

    daily = client.get("/me/billing?include_usage=daily", headers=auth(me["token"])).json()
    assert [e["type"] for e in daily["entries"]] == ["deduction", "signup_credit"]
    day = daily["entries"][0]
    assert day["amount_micros"] == -56_100 and daily["balance_micros"] == 100_000_000 - 56_100
    assert (day["id"], day["balance_after_micros"], day["payment_id"]) == (None, None, None)
    assert (day["requests"], day["tokens"]) == (1, 1000)
    assert day["description"] == "API usage: 1 request, 1,000 tokens"
    assert day["date_ist"] == usage.today().isoformat() and day["created_at"].endswith("+05:30")
    assert daily["entries"][1] == plain["entries"][0]
    assert_error(client.get("/me/billing?include_usage=hourly", headers=auth(me["token"])), 422, "invalid_request")
