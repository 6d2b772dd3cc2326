"""The golden Razorpay payloads read as RAZORPAY.md says, and the receipt's payment-method
detail comes out right for each method they carry."""

from __future__ import annotations

import json
import re

import pytest

from billing_app.services.settlement import method_detail
from tests.golden_payloads import EVENTS, about, entity, golden, shape_differences

ID = re.compile(r"^(pay|order|rfnd|acc|card)_[0-9A-Za-z]{14}$")


@pytest.mark.parametrize("event", EVENTS)
def test_each_golden_event_is_what_razorpay_md_describes(event):
    body = golden(event)
    assert (body["entity"], body["event"]) == ("event", event)
    assert set(body["payload"]) == set(body["contains"])
    assert ID.match(body["account_id"]) and isinstance(body["created_at"], int)
    for kind in body["contains"]:
        record = entity(body, kind)
        assert record["entity"] == kind and ID.match(record["id"])
        assert isinstance(record["amount"], int) and record["currency"] == "INR"


@pytest.mark.parametrize(
    ("event", "detail"),
    [
        ("payment.captured", "gaurav.kumar@upi"),  # UPI: the payer's VPA
        ("order.paid", "Visa •••• 0153"),  # card: network and last 4
        ("payment.failed", "HDFC"),  # netbanking: the bank
        ("refund.processed", "payzapp"),  # wallet: the wallet
    ],
)
def test_the_receipt_method_detail_of_each_golden_payment(event, detail):
    assert method_detail(entity(golden(event), "payment")) == detail


def test_a_golden_body_about_our_own_order_keeps_razorpays_shape():
    body = about("order.paid", order="order_Ours0000000001", payment="pay_Ours00000000001")
    ours = json.loads(body)
    assert entity(ours, "payment")["order_id"] == entity(ours, "order")["id"] == "order_Ours0000000001"
    assert shape_differences(golden("order.paid"), ours) == []


def test_shape_differences_name_each_drift():
    expected = golden("payment.captured")
    drifted = golden("payment.captured")
    payment = entity(drifted, "payment")
    del payment["vpa"], payment["base_amount"]  # base_amount: NOT_EMULATED
    payment["amount"] = "50000"
    payment["invented"] = 1
    payment["fee"] = None  # null matches anything
    payment["notes"] = {"org_id": "7"}  # notes: [] or an object
    assert shape_differences(expected, drifted) == [
        "payload.payment.entity.vpa: missing",
        "payload.payment.entity.invented: not in Razorpay's",
        "payload.payment.entity.amount: int in Razorpay's, str here",
    ]
