"""Orders through the real razorpay SDK: create, fetch, list, validation."""

from __future__ import annotations

import re
from typing import Any

import pytest
import razorpay
import requests
from razorpay.errors import BadRequestError

from .helpers import ERROR_FIELDS, ID_PATTERN, KEY_ID, KEY_SECRET, ORDER_FIELDS, Sandbox


def test_create_order_has_razorpays_shape(rzp: razorpay.Client) -> None:
    order = rzp.order.create({"amount": 50000, "currency": "INR", "receipt": "r-1"})
    assert set(order) == ORDER_FIELDS
    assert re.match(ID_PATTERN.format(prefix="order_"), order["id"])
    assert order["entity"] == "order"
    assert (order["amount"], order["amount_paid"], order["amount_due"]) == (50000, 0, 50000)
    assert order["status"] == "created"
    assert order["attempts"] == 0
    assert order["offer_id"] is None
    assert order["receipt"] == "r-1"
    assert isinstance(order["created_at"], int)


def test_empty_notes_are_a_list_and_others_an_object(rzp: razorpay.Client) -> None:
    plain = rzp.order.create({"amount": 100, "currency": "INR"})
    assert plain["notes"] == []
    assert plain["receipt"] is None
    noted = rzp.order.create({"amount": 100, "currency": "INR", "notes": {"org": "42"}})
    assert noted["notes"] == {"org": "42"}
    assert rzp.order.fetch(plain["id"])["notes"] == []


def test_fetch_order(rzp: razorpay.Client, make_order: Any) -> None:
    order = make_order()
    assert rzp.order.fetch(order["id"]) == order


def test_unknown_order_id(rzp: razorpay.Client) -> None:
    with pytest.raises(BadRequestError, match=r"^The id provided does not exist$"):
        rzp.order.fetch("order_DoesNotExist00")


def test_list_orders_filters_and_pages(rzp: razorpay.Client, make_order: Any) -> None:
    made = [make_order(amount=100 + i) for i in range(5)]
    listed = rzp.order.all({"count": 2, "skip": 1})
    assert listed["entity"] == "collection"
    assert listed["count"] == 2
    assert [o["id"] for o in listed["items"]] == [made[3]["id"], made[2]["id"]]
    by_receipt = rzp.order.all({"receipt": made[0]["receipt"]})
    assert [o["id"] for o in by_receipt["items"]] == [made[0]["id"]]
    assert rzp.order.all()["count"] == 5


def test_order_payments_empty_collection(rzp: razorpay.Client, make_order: Any) -> None:
    order = make_order()
    assert rzp.order.payments(order["id"]) == {
        "entity": "collection",
        "count": 0,
        "items": [],
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"currency": "INR"}, "amount: is required."),
        ({"amount": 99, "currency": "INR"}, "The amount must be at least INR 1.00"),
        ({"amount": 100.5, "currency": "INR"}, "The amount must be an integer."),
        ({"amount": "abc", "currency": "INR"}, "The amount must be an integer."),
        ({"amount": 100}, "The currency field is required."),
        ({"amount": 100, "currency": "RUPEES"}, "The currency must be 3 characters."),
        ({"amount": 100, "currency": "INR", "receipt": "x" * 41}, "receipt"),
        ({"amount": 100, "currency": "INR", "notes": {str(i): "v" for i in range(16)}}, "notes"),
        ({"amount": 100, "currency": "INR", "notes": {"k": "v" * 257}}, "256"),
        ({"amount": 100, "currency": "INR", "colour": "red"}, "colour is/are not required"),
        ({"amount": 10**12, "currency": "INR"}, "Amount exceeds maximum amount allowed."),
    ],
)
def test_order_validation(rzp: razorpay.Client, body: dict[str, Any], message: str) -> None:
    with pytest.raises(BadRequestError, match=re.escape(message)):
        rzp.order.create(body)


def test_amount_error_body_is_complete(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base_url}/v1/orders",
        json={"amount": 50, "currency": "INR"},
        auth=(KEY_ID, KEY_SECRET),
        timeout=5,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == ERROR_FIELDS
    assert error == {
        "code": "BAD_REQUEST_ERROR",
        "description": "The amount must be at least INR 1.00",
        "field": "amount",
        "source": "business",
        "step": "payment_initiation",
        "reason": "input_validation_failed",
        "metadata": {},
    }


def test_receipt_must_be_unique_unless_switched_off(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    body = {"amount": 100, "currency": "INR", "receipt": "same"}
    rzp.order.create(dict(body))
    with pytest.raises(BadRequestError, match=r"Order receipt should be unique\."):
        rzp.order.create(dict(body))
    sandbox.faults(receipt_unique=False)
    assert rzp.order.create(dict(body))["receipt"] == "same"


def test_capture_setting_and_legacy_flag(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    manual = rzp.order.create({"amount": 1000, "currency": "INR", "payment": {"capture": "manual"}})
    legacy = rzp.order.create({"amount": 1000, "currency": "INR", "payment_capture": 0})
    auto = rzp.order.create({"amount": 1000, "currency": "INR", "payment_capture": 1})
    for order, expected in ((manual, "authorized"), (legacy, "authorized"), (auto, "captured")):
        payment_id = sandbox.pay(order["id"])["razorpay_payment_id"]
        assert rzp.payment.fetch(payment_id)["status"] == expected


def test_form_encoded_orders_are_accepted(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base_url}/v1/orders",
        data={"amount": "500", "currency": "INR", "notes[plan]": "gold"},
        auth=(KEY_ID, KEY_SECRET),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == 500
    assert response.json()["notes"] == {"plan": "gold"}
