"""The console's REST routes for payments needing attention, promo codes and prices: 404 in
the error envelope to anyone not staff (signed in or not) on every route, table-driven; for
staff, each route calls its service and each change leaves an audit row with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from billing_app.api.app import create_api
from billing_app.db import read_session
from billing_app.models import AuditEvent
from billing_app.services import pricing, staff
from tests.api.conftest import assert_error, auth, signup

REASON = {"reason": "ticket 42"}
ROUTES = [
    ("GET", "/admin/attention/orders", None),
    ("POST", "/admin/attention/orders/check", REASON),
    ("POST", "/admin/attention/orders/order_x/check", REASON),
    ("GET", "/admin/attention/webhooks", None),
    ("POST", "/admin/attention/webhooks/process", REASON),
    ("POST", "/admin/attention/webhooks/1/process", REASON),
    ("GET", "/admin/promos", None),
    ("POST", "/admin/promos", {"code": "X", "flat_bonus_micros": 1, **REASON}),
    ("POST", "/admin/promos/X/disable", REASON),
    ("GET", "/admin/prices", None),
    ("PUT", "/admin/prices/openai/gpt-4o", {"input_micros_per_million": 1, "output_micros_per_million": 1, **REASON}),
    ("POST", "/admin/prices/load", REASON),
]


@pytest.fixture
def any_client(any_db) -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def staff_headers(any_client: TestClient) -> dict[str, str]:
    token = signup(any_client, "ops@example.com")["token"]
    staff.set_staff(email="ops@example.com", staff=True)
    return auth(token)


def global_actions() -> list[tuple[str, str, str]]:
    with read_session() as session:
        rows = session.exec(select(AuditEvent).where(col(AuditEvent.org_id).is_(None)).order_by(col(AuditEvent.id)))
        return [(row.action, row.actor_kind, json.loads(row.after or "{}").get("reason")) for row in rows]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_non_staff_get_404_on_every_route(client, method, path, body):
    member = signup(client, "asha@example.com")
    for headers in (auth(member["token"]), {}, auth("not-a-token")):
        response = client.request(method, path, json=body, headers=headers)
        assert_error(response, 404, "not_found", "not_found_error")
        # a malformed body gets the same 404, not a 422 that would reveal the route
        json_headers = headers | {"content-type": "application/json"}
        broken = client.request(method, path, content=b"{not json", headers=json_headers)
        assert_error(broken, 404, "not_found", "not_found_error")
    with read_session() as session:
        assert not list(session.exec(select(AuditEvent).where(col(AuditEvent.org_id).is_(None))))


def test_staff_manage_promos_and_prices(any_client, staff_headers):
    client, headers = any_client, staff_headers
    made = client.post(
        "/admin/promos",
        json={
            "code": "diwali",
            "percent": 10,
            "cap_micros": 100_000_000,
            "min_topup_units": 200,
            "starts_at": "2026-12-01T09:00",
            "max_redemptions": 5,
            **REASON,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["code"] == "DIWALI" and made.json()["starts_at"] == "2026-12-01T09:00:00+05:30"
    assert_error(
        client.post("/admin/promos", json={"code": "DIWALI", "percent": 5, **REASON}, headers=headers), 409, "conflict"
    )
    blank = client.post("/admin/promos", json={"code": "NEW", "percent": 5, "reason": " "}, headers=headers)
    assert assert_error(blank, 422, "invalid_request")["field"] == "reason"
    [listed] = client.get("/admin/promos", headers=headers).json()
    assert (listed["redemptions"], listed["state"], listed["max_redemptions"]) == (0, "active", 5)
    disabled = client.post("/admin/promos/diwali/disable", json=REASON, headers=headers)
    assert disabled.json() == {"code": "DIWALI", "changed": True}
    assert client.get("/admin/promos", headers=headers).json()[0]["state"] == "disabled"

    pricing.load_catalog()
    prices = {row["model"]: row for row in client.get("/admin/prices", headers=headers).json()}
    assert prices["openai/gpt-4o"]["effective_since"].endswith("+05:30")
    edited = client.put(
        "/admin/prices/openai/gpt-4o",
        json={"input_micros_per_million": 1_000_000, "output_micros_per_million": 2_000_000, **REASON},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["source"], edited.json()["input_micros_per_million"]) == ("admin", 1_000_000)
    loaded = client.post("/admin/prices/load", json={"overwrite": True, **REASON}, headers=headers)
    assert loaded.json() == {"changed": 1}
    assert global_actions() == [
        ("promo.created", "staff", "ticket 42"),
        ("promo.disabled", "staff", "ticket 42"),
        ("price.set", "staff", "ticket 42"),
        ("prices.loaded", "staff", "ticket 42"),
    ]


def test_staff_see_payments_needing_attention(any_client, staff_headers):
    client, headers = any_client, staff_headers
    assert client.get("/admin/attention/orders", headers=headers).json() == []
    assert client.get("/admin/attention/webhooks", headers=headers).json() == []
    checked = client.post("/admin/attention/orders/check", json=REASON, headers=headers)
    assert checked.json() == {"credited": 0, "pending": 0, "failed": 0, "results": []}
    assert client.post("/admin/attention/webhooks/process", json=REASON, headers=headers).json() == []
    assert_error(client.post("/admin/attention/orders/order_x/check", json=REASON, headers=headers), 404, "not_found")
    assert_error(client.post("/admin/attention/webhooks/7/process", json=REASON, headers=headers), 404, "not_found")
    missing = client.post("/admin/attention/webhooks/7/process", json={}, headers=headers)
    assert_error(missing, 422, "invalid_request")
    wrong = client.get("/admin/attention/webhooks?problem=other", headers=headers)
    assert assert_error(wrong, 422, "invalid_request")["field"] == "problem"
