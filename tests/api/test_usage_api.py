"""GET /me/usage, /me/usage/daily and the CSV export."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing_app.services import pricing, usage
from tests.api.conftest import assert_error, auth, signup


@pytest.fixture(autouse=True)
def catalog(client) -> None:
    pricing.load_catalog()


@pytest.fixture
def me(client) -> dict:
    account = signup(client)
    key = client.post("/me/keys", json={"name": "web"}, headers=auth(account["token"])).json()["key"]
    for i, model in enumerate(("sandbox-echo", "sandbox-echo", "openai/gpt-4o")):
        body = {"request_id": f"r{i}", "model": model, "prompt_tokens": 100, "completion_tokens": 1000}
        assert client.post("/v1/billing/usage", json=body, headers=auth(key)).status_code == 200
    return account


def test_usage_today_and_last_30_days(client, me):
    body = client.get("/me/usage", headers=auth(me["token"])).json()
    assert body["currency"] == "INR" and body["range"] is None
    today = body["today"]
    echo_cost = -(-(100 * 12_750_000 + 1000 * 51_000_000) * 110 // 10**8)
    gpt4o_cost = -(-(100 * 212_500_000 + 1000 * 850_000_000) * 110 // 10**8)
    assert (today["requests"], today["prompt_tokens"], today["completion_tokens"]) == (3, 300, 3000)
    assert today["cost_micros"] == 2 * echo_cost + gpt4o_cost
    assert [(m["model"], m["requests"], m["cost_micros"]) for m in today["by_model"]] == [
        ("openai/gpt-4o", 1, gpt4o_cost),
        ("sandbox-echo", 2, 2 * echo_cost),
    ]
    [key] = today["by_key"]
    assert (key["name"], key["requests"], key["revoked"]) == ("web", 3, False)
    assert body["last_30_days"]["cost_micros"] == today["cost_micros"]
    assert body["last_30_days"]["start"] == (usage.today() - timedelta(days=29)).isoformat()


def test_usage_for_a_range(client, me):
    today = usage.today()
    past = today - timedelta(days=40)
    body = client.get(f"/me/usage?from={past}&to={today - timedelta(days=1)}", headers=auth(me["token"])).json()
    assert body["range"]["requests"] == 0 and body["range"]["by_key"] == []
    body = client.get(f"/me/usage?from={past}", headers=auth(me["token"])).json()
    assert body["range"]["requests"] == 3 and body["range"]["end"] == today.isoformat()


def test_daily_has_one_row_per_ist_day(client, me):
    body = client.get("/me/usage/daily", headers=auth(me["token"])).json()
    assert len(body["days"]) == 30
    assert body["days"][-1]["date"] == usage.today().isoformat() == body["end"]
    assert body["days"][-1]["requests"] == 3
    assert sum(d["requests"] for d in body["days"]) == 3
    week = client.get(f"/me/usage/daily?from={usage.today() - timedelta(days=6)}", headers=auth(me["token"])).json()
    assert len(week["days"]) == 7


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01", "from=yesterday", "from=2026-11-10&to=2026-11-01", "from=2024-01-01&to=2026-01-01"],
    ids=["bad-month", "not-a-date", "reversed", "too-long"],
)
def test_bad_ranges(client, me, query):
    assert_error(client.get(f"/me/usage/daily?{query}", headers=auth(me["token"])), 422, "invalid_request")


def test_csv_export(client, me):
    response = client.get("/me/usage/export.csv", headers=auth(me["token"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("date_ist,key_name,key_prefix,model,requests")
    assert len(lines) == 3  # one per (day, key, model)


def test_usage_is_per_org_and_needs_a_session(client, me):
    other = signup(client, email="ravi@example.com", org_name="Other")
    assert client.get("/me/usage", headers=auth(other["token"])).json()["today"]["requests"] == 0
    assert_error(client.get("/me/usage"), 401, "unauthenticated")
    assert_error(client.get("/me/usage/daily"), 401, "unauthenticated")
