"""Paying through the control API, then reading and capturing with the real SDK."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import razorpay
from razorpay.errors import BadRequestError, SignatureVerificationError

from billing_app.sandbox import payment_signature

from .helpers import CARD_FIELDS, ID_PATTERN, PAYMENT_FIELDS, UPI_FIELDS, Sandbox


def test_signature_matches_the_sdk_test_vector() -> None:
    expected = "b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89"
    assert payment_signature("key_secret", "fake_order_id", "fake_payment_id") == expected


def test_captured_upi_payment(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    order = make_order(amount=50000)
    result = sandbox.pay(order["id"], email="asha@example.com", contact="+919812345678")
    assert set(result) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert result["razorpay_order_id"] == order["id"]
    assert re.match(ID_PATTERN.format(prefix="pay_"), result["razorpay_payment_id"])
    assert rzp.utility.verify_payment_signature(dict(result)) is True

    payment = rzp.payment.fetch(result["razorpay_payment_id"])
    assert set(payment) == PAYMENT_FIELDS | {"upi"}
    assert set(payment["upi"]) == UPI_FIELDS
    assert payment["status"] == "captured"
    assert payment["captured"] is True
    assert payment["method"] == "upi"
    assert payment["vpa"] == payment["upi"]["vpa"] == "success@razorpay"
    assert payment["order_id"] == order["id"]
    assert (payment["email"], payment["contact"]) == ("asha@example.com", "+919812345678")
    assert (payment["fee"], payment["tax"]) == (1180, 180)
    assert payment["amount_refunded"] == 0
    assert payment["refund_status"] is None
    assert payment["error_code"] is None
    assert payment["card_id"] is None
    assert "rrn" in payment["acquirer_data"]

    order = rzp.order.fetch(order["id"])
    assert (order["status"], order["attempts"]) == ("paid", 1)
    assert (order["amount_paid"], order["amount_due"]) == (50000, 0)
    listed = rzp.order.payments(order["id"])
    assert listed["count"] == 1
    assert listed["items"] == [payment]


def test_tampered_signature_is_rejected_by_the_sdk(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    result = sandbox.pay(make_order()["id"])
    result["razorpay_signature"] = "0" * 64
    with pytest.raises(SignatureVerificationError):
        rzp.utility.verify_payment_signature(result)


def test_card_and_netbanking_fields(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    paid = sandbox.pay(make_order()["id"], method="card", card_last4="1007")
    payment_id = paid["razorpay_payment_id"]
    plain = rzp.payment.fetch(payment_id)
    assert set(plain) == PAYMENT_FIELDS  # like Razorpay: card only when expanded
    assert plain["vpa"] is None
    card = rzp.payment.fetch(payment_id, {"expand[]": "card"})
    assert set(card) == PAYMENT_FIELDS | {"card"}
    assert set(card["card"]) == CARD_FIELDS
    assert card["card"]["last4"] == "1007"
    assert card["card_id"] == card["card"]["id"] == plain["card_id"]
    assert rzp.payment.fetchCardDetails(payment_id) == card["card"]
    listed = rzp.order.payments(plain["order_id"], {"expand[]": "card"})
    assert listed["items"][0]["card"] == card["card"]
    with pytest.raises(BadRequestError, match="Value of each expand"):
        rzp.payment.fetch(payment_id, {"expand[]": "everything"})

    nb_id = sandbox.pay(make_order()["id"], method="netbanking", bank="ICIC")
    netbanking = rzp.payment.fetch(nb_id["razorpay_payment_id"])
    assert set(netbanking) == PAYMENT_FIELDS
    assert netbanking["bank"] == "ICIC"
    assert netbanking["method"] == "netbanking"
    with pytest.raises(BadRequestError, match="Payment was not done using card"):
        rzp.payment.fetchCardDetails(nb_id["razorpay_payment_id"])


def test_authorized_then_captured_with_the_sdk(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    order = make_order(amount=1000)
    payment_id = sandbox.pay(order["id"], outcome="authorized")["razorpay_payment_id"]
    payment = rzp.payment.fetch(payment_id)
    assert (payment["status"], payment["captured"]) == ("authorized", False)
    assert (payment["fee"], payment["tax"]) == (None, None)
    assert rzp.order.fetch(order["id"])["status"] == "attempted"

    with pytest.raises(BadRequestError, match="Capture amount must be equal"):
        rzp.payment.capture(payment_id, 999, {"currency": "INR"})
    captured = rzp.payment.capture(payment_id, 1000, {"currency": "INR"})
    assert captured["status"] == "captured"
    assert (captured["fee"], captured["tax"]) == (24, 4)
    assert rzp.order.fetch(order["id"])["status"] == "paid"
    with pytest.raises(BadRequestError, match="This payment has already been captured"):
        rzp.payment.capture(payment_id, 1000, {"currency": "INR"})


def test_failed_then_captured_is_a_upi_retry(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    order = make_order(amount=20000)
    failure = sandbox.pay(order["id"], outcome="failed")
    error = failure["error"]
    assert set(error) == {"code", "description", "source", "step", "reason", "metadata"}
    assert (error["code"], error["reason"]) == ("BAD_REQUEST_ERROR", "payment_cancelled")
    assert error["metadata"]["order_id"] == order["id"]
    failed_id = error["metadata"]["payment_id"]
    failed = rzp.payment.fetch(failed_id)
    assert failed["status"] == "failed"
    assert failed["error_source"] == "customer"
    assert failed["error_step"] == "payment_authentication"
    assert rzp.order.fetch(order["id"])["status"] == "attempted"
    with pytest.raises(BadRequestError, match="Only payments which have been authorized"):
        rzp.payment.capture(failed_id, 20000, {"currency": "INR"})

    ok = sandbox.pay(order["id"])
    order = rzp.order.fetch(order["id"])
    assert (order["status"], order["attempts"]) == ("paid", 2)
    items = rzp.order.payments(order["id"])["items"]
    assert [p["id"] for p in items] == [ok["razorpay_payment_id"], failed_id]
    assert [p["status"] for p in items] == ["captured", "failed"]


def test_failure_vpa_fails_by_default(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    result = sandbox.pay(make_order()["id"], vpa="failure@razorpay")
    assert "error" in result


def test_paid_order_refuses_more_payments(sandbox: Sandbox, make_order: Any) -> None:
    order = make_order()
    sandbox.pay(order["id"])
    response = sandbox.http.post(f"/orders/{order['id']}/pay", json={})
    assert response.status_code == 400
    assert response.json()["error"]["description"] == "This order has already been paid"


def test_control_pay_validates_input(sandbox: Sandbox, make_order: Any) -> None:
    order = make_order()
    for body in ({"outcome": "maybe"}, {"method": "cash"}):
        response = sandbox.http.post(f"/orders/{order['id']}/pay", json=body)
        assert response.status_code == 400, body
    missing = sandbox.http.post("/orders/order_Missing0000000/pay", json={})
    assert missing.json()["error"]["description"] == "The id provided does not exist"


def test_list_payments(rzp: razorpay.Client, sandbox: Sandbox, make_order: Any) -> None:
    ids = [sandbox.pay(make_order()["id"])["razorpay_payment_id"] for _ in range(3)]
    listed = rzp.payment.all({"count": 2})
    assert [p["id"] for p in listed["items"]] == ids[::-1][:2]


def test_control_order_view(sandbox: Sandbox, make_order: Any) -> None:
    order = make_order()
    sandbox.pay(order["id"], outcome="failed")
    view = httpx.get(f"{sandbox.base_url}/_control/orders/{order['id']}").json()
    assert view["order"]["status"] == "attempted"
    assert [p["status"] for p in view["payments"]] == ["failed"]
