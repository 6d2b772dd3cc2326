"""Refunds through the real SDK: partial, full, limits, idempotency."""

from __future__ import annotations

import re
from typing import Any

import pytest
import razorpay
from razorpay.errors import BadRequestError

from .helpers import ID_PATTERN, REFUND_FIELDS, Sandbox


@pytest.fixture
def captured(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> dict[str, Any]:
    order = make_order(amount=50000)
    payment_id = sandbox.pay(order["id"])["razorpay_payment_id"]
    payment: dict[str, Any] = rzp.payment.fetch(payment_id)
    return payment


def test_partial_then_full_refund(rzp: razorpay.Client, captured: dict[str, Any]) -> None:
    pid = captured["id"]
    first = rzp.payment.refund(pid, {"amount": 20000, "speed": "normal", "receipt": "rf-1"})
    assert set(first) == REFUND_FIELDS
    assert re.match(ID_PATTERN.format(prefix="rfnd_"), first["id"])
    assert (first["amount"], first["payment_id"], first["status"]) == (20000, pid, "processed")
    assert first["receipt"] == "rf-1"
    assert first["notes"] == []
    payment = rzp.payment.fetch(pid)
    assert (payment["status"], payment["refund_status"]) == ("captured", "partial")
    assert payment["amount_refunded"] == 20000

    with pytest.raises(BadRequestError, match="greater than amount captured"):
        rzp.payment.refund(pid, {"amount": 30001})
    rest = rzp.payment.refund(pid, {})
    assert rest["amount"] == 30000
    payment = rzp.payment.fetch(pid)
    assert (payment["status"], payment["refund_status"]) == ("refunded", "full")
    assert payment["amount_refunded"] == 50000
    with pytest.raises(BadRequestError, match="The payment has been fully refunded already"):
        rzp.payment.refund(pid, {"amount": 100})

    assert rzp.refund.fetch(first["id"]) == first
    listed = rzp.payment.fetch_multiple_refund(pid)
    assert listed["entity"] == "collection"
    assert [r["id"] for r in listed["items"]] == [rest["id"], first["id"]]
    assert rzp.order.fetch(captured["order_id"])["status"] == "paid"


def test_idempotency_header_returns_the_same_refund(rzp: razorpay.Client, captured: dict[str, Any]) -> None:
    pid = captured["id"]
    headers = {"X-Refund-Idempotency": "refund-key-0001"}
    first = rzp.payment.refund(pid, {"amount": 1000}, headers=dict(headers))
    again = rzp.payment.refund(pid, {"amount": 1000}, headers=dict(headers))
    assert again == first
    assert rzp.payment.fetch(pid)["amount_refunded"] == 1000
    with pytest.raises(BadRequestError, match="differs"):
        rzp.payment.refund(pid, {"amount": 2000}, headers=dict(headers))
    other = rzp.payment.refund(pid, {"amount": 1000}, headers={"X-Refund-Idempotency": "refund-key-0002"})
    assert other["id"] != first["id"]
    with pytest.raises(BadRequestError, match="at least 10 characters"):
        rzp.payment.refund(pid, {"amount": 1000}, headers={"X-Refund-Idempotency": "short"})


def test_refund_needs_a_captured_payment(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    pid = sandbox.pay(make_order()["id"], outcome="authorized")["razorpay_payment_id"]
    with pytest.raises(BadRequestError, match="Only captured payments can be refunded"):
        rzp.payment.refund(pid, {"amount": 100})
    with pytest.raises(BadRequestError, match="The id provided does not exist"):
        rzp.payment.refund("pay_Missing0000000", {"amount": 100})
    with pytest.raises(BadRequestError, match="The id provided does not exist"):
        rzp.refund.fetch("rfnd_Missing000000")


def test_refund_amount_must_be_at_least_one_rupee(rzp: razorpay.Client, captured: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError, match=r"at least INR 1\.00"):
        rzp.payment.refund(captured["id"], {"amount": 99})


def test_create_refund_by_payment_id(rzp: razorpay.Client, captured: dict[str, Any]) -> None:
    refund = rzp.refund.create({"payment_id": captured["id"], "amount": 500})
    assert refund["payment_id"] == captured["id"]
    assert rzp.refund.all({"count": 5})["items"][0]["id"] == refund["id"]
