"""Text in request bodies and paths: a NUL character is refused as invalid_request, naming the field.

PostgreSQL text cannot hold NUL, so such a value used to fail in the database and leave as a
500 (SQLite stored it). The rule sits on every request body (api/inputs.py), so a new
endpoint gets it by deriving its body from RequestBody (a path segment: typing it PathText)."""

from __future__ import annotations

import pytest

from billing_app.services import pricing
from tests.api.conftest import assert_error, auth, signup

NUL = "a\u0000b"


@pytest.fixture
def me(client) -> dict:
    pricing.load_catalog()
    account = signup(client)
    key = client.post("/me/keys", json={"name": "router"}, headers=auth(account["token"])).json()["key"]
    return {**account, "session": auth(account["token"]), "api_key": auth(key)}


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "credentials"),
    [
        ("post", "/auth/signup", {"email": "n@example.com", "password": "pw long enough", "name": NUL, "org_name": "O"},
         "name", None),
        ("post", "/auth/login", {"email": f"{NUL}@example.com", "password": "pw long enough"}, "email", None),
        ("post", "/me/keys", {"name": NUL}, "name", "session"),
        ("put", "/me/billing/address",
         {"name": "A", "line1": NUL, "city": "Bengaluru", "state_code": "KA", "pin": "560001"}, "line1", "session"),
        ("post", "/me/billing/promo/check", {"code": NUL, "amount": 500}, "code", "session"),
        ("post", "/me/billing/orders", {"amount": 500, "promo_code": NUL}, "promo_code", "session"),
        ("post", "/me/billing/orders/order_1/verify",
         {"razorpay_payment_id": NUL, "razorpay_order_id": "order_1", "razorpay_signature": "s"},
         "razorpay_payment_id", "session"),
        ("post", "/v1/billing/authorize", {"request_id": NUL, "model": "sandbox-echo"}, "request_id", "api_key"),
        ("post", "/v1/billing/usage",
         {"request_id": "r", "model": NUL, "prompt_tokens": 1, "completion_tokens": 1}, "model", "api_key"),
    ],
    ids=["signup", "login", "key", "address", "promo", "order", "verify", "authorize", "usage"],
)  # fmt: skip
def test_a_nul_character_is_refused_with_the_field_named(client, me, method, path, body, field, credentials):
    headers = me[credentials] if credentials else None
    response = getattr(client, method)(path, json=body, headers=headers)
    error = assert_error(response, 422, "invalid_request", "invalid_request_error")
    assert error["field"] == field
    assert "NUL" in error["message"]


def test_a_nul_character_in_a_receipt_path_is_refused(client, me):
    response = client.get("/me/billing/receipts/pay%00x", headers=me["session"])
    assert assert_error(response, 422, "invalid_request")["field"] == "payment_id"


@pytest.mark.parametrize("path", ["/me/audit", "/me/audit/export.csv"])
def test_a_nul_character_in_the_activity_filter_is_refused(client, me, path):
    response = client.get(f"{path}?action=%00", headers=me["session"])
    assert assert_error(response, 422, "invalid_request")["field"] == "action"
