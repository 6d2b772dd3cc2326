"""The webhook handler and the receipt against Razorpay's own payload shapes (the golden
payloads in tests/fixtures/razorpay/), and the sandbox's payloads against the same, so the
app and the sandbox cannot agree on a shape Razorpay does not send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from billing_app.integrations.razorpay_gateway import get_gateway
from tests.factories import paid_order, paying_account
from tests.golden_payloads import EVENTS, about, entity, golden, shape_differences, signed
from tests.payments_support import LiveApp, credits_for, live_app, processed_events, wait_until

START = 100_000_000  # the sign-up credit
FIVE_HUNDRED = 500_000_000
# How to pay in the sandbox so its payment carries what the golden one does.
GOLDEN_PAYMENT = {
    "payment.captured": {"method": "upi", "vpa": "gaurav.kumar@upi"},
    "order.paid": {"method": "card", "card_network": "Visa", "card_last4": "0153"},
    "payment.failed": {"method": "netbanking", "bank": "HDFC", "outcome": "failed"},
    "refund.processed": {"method": "wallet", "wallet": "payzapp"},
}


@pytest.fixture
def app(db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)  # the sandbox records its webhooks but sends none
        yield running


def deliver(app: LiveApp, body: bytes, event_id: str) -> None:
    headers = {
        "content-type": "application/json",
        "x-razorpay-signature": signed(body),
        "x-razorpay-event-id": event_id,
    }
    response = app.http.post(f"{app.url}/webhooks/razorpay", content=body, headers=headers)
    assert response.status_code == 200, response.text


def balance(app: LiveApp, account: dict[str, Any]) -> int:
    return app.billing(account)["balance_micros"]


@pytest.mark.parametrize("event", ["payment.captured", "order.paid"])
def test_a_golden_settling_event_credits_once_and_the_receipt_shows_its_method(app, event):
    account = paying_account(app)
    order_id, paid = paid_order(app, account, 500, **GOLDEN_PAYMENT[event])
    body = about(event, order=order_id, payment=paid["razorpay_payment_id"])
    deliver(app, body, "evt_Golden00000001")
    wait_until(lambda: balance(app, account) == START + FIVE_HUNDRED, what="the credit")
    deliver(app, body, "evt_Golden00000002")  # a second event about the same payment
    wait_until(lambda: len(processed_events()) == 2, what="both events processed")
    assert balance(app, account) == START + FIVE_HUNDRED and len(credits_for(account["org_id"])) == 1
    receipt = app.http.get(f"{app.url}/me/billing/receipts/{paid['razorpay_payment_id']}", headers=account["headers"])
    expected = "gaurav.kumar@upi" if event == "payment.captured" else "Visa •••• 0153"
    assert receipt.json()["method_detail"] == expected


def test_a_golden_payment_failed_is_recorded_and_changes_nothing(app):
    account = paying_account(app)
    order_id, _ = paid_order(app, account, 500, **GOLDEN_PAYMENT["payment.failed"])
    deliver(app, about("payment.failed", order=order_id), "evt_GoldenFail0001")
    [event] = wait_until(processed_events, what="the event processed")
    assert event.event_type == "payment.failed" and event.error is None
    assert balance(app, account) == START and credits_for(account["org_id"]) == []


def test_a_golden_refund_processed_debits_the_refund_once(app):
    account = paying_account(app)
    order_id, paid = paid_order(app, account, 500, **GOLDEN_PAYMENT["refund.processed"])
    assert app.verify(account, order_id, paid).status_code == 200
    refund = get_gateway()._client().payment.refund(paid["razorpay_payment_id"], {"amount": 20_000})
    body = about("refund.processed", refund=refund["id"], payment=paid["razorpay_payment_id"], order=order_id)
    for event_id in ("evt_GoldenRfnd0001", "evt_GoldenRfnd0002"):
        deliver(app, body, event_id)
    wait_until(lambda: len(processed_events()) == 2, what="both events processed")
    [debit] = credits_for(account["org_id"], "refund")
    assert debit.amount_micros == -200_000_000
    assert balance(app, account) == START + FIVE_HUNDRED - 200_000_000


def test_the_sandbox_sends_what_razorpay_sends(app):
    """Each golden event, made by the sandbox for a payment like the golden one: the same
    keys at every depth (but NOT_EMULATED), the same JSON types, the same `contains`."""
    account = paying_account(app)
    payments = {event: paid_order(app, account, 500, **how) for event, how in GOLDEN_PAYMENT.items()}
    refunded = payments["refund.processed"][1]["razorpay_payment_id"]
    get_gateway()._client().payment.refund(refunded, {"amount": 20_000})  # refund.created, .processed
    app.flush_webhooks()
    for event in EVENTS:
        order_id = payments[event][0]
        [sent] = [body for body in sandbox_bodies(app, event) if entity(body, "payment")["order_id"] == order_id]
        assert sent["contains"] == golden(event)["contains"], event
        assert shape_differences(golden(event), sent) == [], event
        assert entity(sent, "payment")["method"] == entity(golden(event), "payment")["method"]


def sandbox_bodies(app: LiveApp, event: str) -> list[dict[str, Any]]:
    """The bodies of the sandbox's webhooks of one kind, as it sent (or, dropped, would send) them."""
    bodies = []
    for row in app.sandbox_webhooks():
        if row["event"] == event:
            detail = app.http.get(f"{app.url}/sandbox/razorpay/_control/webhooks/{row['event_id']}").json()
            bodies.append(json.loads(detail["body"]))
    return bodies
