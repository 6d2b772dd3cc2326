"""Top-up order rules that are checked before Razorpay is ever called."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error, auth, signup
from tests.factories import ADDRESS


@pytest.fixture
def me(client) -> dict:
    return signup(client)


def test_order_before_an_address_is_address_required(client, me):
    response = client.post("/me/billing/orders", json={"amount": 500}, headers=auth(me["token"]))
    assert_error(response, 400, "address_required", "billing_error")


@pytest.mark.parametrize("amount", ["250.5", 250.5, 99.0, 1001, 0, -100, "abc", "", "1e3", 1e308])
def test_amounts_must_be_whole_and_within_limits(client, me, amount):
    client.put("/me/billing/address", json=ADDRESS, headers=auth(me["token"]))
    response = client.post("/me/billing/orders", json={"amount": amount}, headers=auth(me["token"]))
    error = assert_error(response, 400, "amount_invalid", "billing_error")  # 250.5 as a number too (DESIGN.md)
    assert "₹100" in error["message"] and "₹1,000" in error["message"]


def test_orders_need_a_session(client):
    assert_error(client.post("/me/billing/orders", json={"amount": 500}), 401, "unauthenticated")


def test_verify_unknown_order_is_not_found(client, me):
    body = {"razorpay_payment_id": "pay_x", "razorpay_order_id": "order_nope", "razorpay_signature": "00"}
    response = client.post("/me/billing/orders/order_nope/verify", json=body, headers=auth(me["token"]))
    assert_error(response, 404, "not_found", "not_found_error")


def test_verify_needs_all_three_fields(client, me):
    response = client.post(
        "/me/billing/orders/order_x/verify", json={"razorpay_payment_id": "pay_x"}, headers=auth(me["token"])
    )
    assert_error(response, 422, "invalid_request")
