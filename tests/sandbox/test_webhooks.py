"""Webhooks: signatures, sequences, retries, redelivery and the fault switches."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
import razorpay
from razorpay.errors import SignatureVerificationError

from billing_app.sandbox import create_sandbox_app
from tests.servers import run_on_fresh_loop

from .helpers import (
    ACCOUNT_ID,
    CARD_FIELDS,
    EVENT_FIELDS,
    ID_PATTERN,
    ORDER_FIELDS,
    PAYMENT_FIELDS,
    REFUND_FIELDS,
    WEBHOOK_SECRET,
    Received,
    Receiver,
    Sandbox,
    ServerThread,
)

PAID = ["payment.authorized", "payment.captured", "order.paid"]


def body(call: Received) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(call.body)
    return parsed


def test_captured_payment_sends_three_signed_events(
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
    make_order: Any,
) -> None:
    order = make_order(amount=50000)
    payment_id = sandbox.pay(order["id"])["razorpay_payment_id"]
    calls = webhook_receiver.wait_for(3)
    assert webhook_receiver.events() == PAID
    event_ids = [c.headers["x-razorpay-event-id"] for c in calls]
    assert len(set(event_ids)) == 3
    for call in calls:
        assert re.match(ID_PATTERN.format(prefix="evt_"), call.headers["x-razorpay-event-id"])
        assert call.headers["content-type"] == "application/json"
        signature = call.headers["x-razorpay-signature"]
        assert rzp.utility.verify_webhook_signature(call.body.decode(), signature, WEBHOOK_SECRET)
        event = body(call)
        assert set(event) == EVENT_FIELDS
        assert (event["entity"], event["account_id"]) == ("event", ACCOUNT_ID)
        assert set(event["payload"]) == set(event["contains"])
        payment = event["payload"]["payment"]["entity"]
        assert set(payment) == PAYMENT_FIELDS | {"upi"}
        assert payment["id"] == payment_id
    authorized, captured, paid = (body(c) for c in calls)
    assert authorized["contains"] == captured["contains"] == ["payment"]
    assert paid["contains"] == ["payment", "order"]
    # each payload is a snapshot from when its event fired
    assert authorized["payload"]["payment"]["entity"]["status"] == "authorized"
    assert authorized["payload"]["payment"]["entity"]["fee"] is None
    assert captured["payload"]["payment"]["entity"]["status"] == "captured"
    assert captured["payload"]["payment"]["entity"]["fee"] == 1180
    order_entity = paid["payload"]["order"]["entity"]
    assert set(order_entity) == ORDER_FIELDS
    assert (order_entity["status"], order_entity["amount_paid"]) == ("paid", 50000)
    sandbox.flush()
    listed = sandbox.webhooks()
    assert [d["event"] for d in listed] == PAID
    assert all(d["delivered"] and d["status"] == "delivered" for d in listed)
    assert [d["event_id"] for d in listed] == event_ids


def test_manual_capture_sends_captured_and_paid_later(
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
    make_order: Any,
) -> None:
    order = make_order(amount=1000)
    payment_id = sandbox.pay(order["id"], outcome="authorized")["razorpay_payment_id"]
    sandbox.flush()
    assert webhook_receiver.events() == ["payment.authorized"]
    rzp.payment.capture(payment_id, 1000, {"currency": "INR"})
    webhook_receiver.wait_for(3)
    assert webhook_receiver.events() == PAID


def test_failure_then_retry(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    order = make_order()
    sandbox.pay(order["id"], outcome="failed")
    sandbox.pay(order["id"], method="card")
    webhook_receiver.wait_for(4)
    assert webhook_receiver.events() == ["payment.failed", *PAID]
    failed = body(webhook_receiver.calls[0])["payload"]["payment"]["entity"]
    assert (failed["status"], failed["error_reason"]) == ("failed", "payment_cancelled")
    captured = body(webhook_receiver.calls[2])["payload"]["payment"]["entity"]
    assert set(captured["card"]) == CARD_FIELDS  # webhooks carry the card unasked


def test_refund_events(
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
    make_order: Any,
) -> None:
    payment_id = sandbox.pay(make_order()["id"])["razorpay_payment_id"]
    webhook_receiver.wait_for(3)
    refund = rzp.payment.refund(payment_id, {"amount": 5000})
    calls = webhook_receiver.wait_for(5)[3:]
    assert [body(c)["event"] for c in calls] == ["refund.created", "refund.processed"]
    created, processed = (body(c) for c in calls)
    for event in (created, processed):
        assert event["contains"] == ["refund", "payment"]
        assert set(event["payload"]["refund"]["entity"]) == REFUND_FIELDS
        assert event["payload"]["refund"]["entity"]["id"] == refund["id"]
        assert event["payload"]["payment"]["entity"]["refund_status"] == "partial"
    assert created["payload"]["refund"]["entity"]["status"] == "pending"
    assert processed["payload"]["refund"]["entity"]["status"] == "processed"


def test_failed_delivery_is_retried_with_the_same_bytes(
    sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any
) -> None:
    webhook_receiver.fail_next(500, 503)
    sandbox.pay(make_order()["id"], outcome="authorized")
    calls = webhook_receiver.wait_for(3)
    assert [c.answered for c in calls] == [500, 503, 200]
    assert len({c.body for c in calls}) == 1
    assert len({c.headers["x-razorpay-event-id"] for c in calls}) == 1
    assert len({c.headers["x-razorpay-signature"] for c in calls}) == 1
    sandbox.flush()
    (delivery,) = sandbox.webhooks()
    assert (delivery["attempts"], delivery["status"]) == (3, "delivered")


def test_redelivery_resends_identical_bytes(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    sandbox.pay(make_order()["id"], outcome="failed")
    (first,) = webhook_receiver.wait_for(1)
    event_id = first.headers["x-razorpay-event-id"]
    assert sandbox.redeliver(event_id)["event_id"] == event_id
    calls = webhook_receiver.wait_for(2)
    assert calls[1].body == first.body
    assert calls[1].headers["x-razorpay-event-id"] == event_id
    assert calls[1].headers["x-razorpay-signature"] == first.headers["x-razorpay-signature"]
    sandbox.flush()
    detail = sandbox.control("GET", f"/webhooks/{event_id}")
    assert detail["body"].encode() == first.body
    assert len(detail["attempt_log"]) == 2
    missing = sandbox.http.post("/webhooks/evt_Missing0000000/redeliver")
    assert missing.status_code == 400


def test_duplicate_switch_sends_every_event_twice(
    sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any
) -> None:
    sandbox.faults(webhook_duplicate=True)
    sandbox.pay(make_order()["id"])
    calls = webhook_receiver.wait_for(6)
    sandbox.flush()
    assert len(webhook_receiver.calls) == 6
    ids = [c.headers["x-razorpay-event-id"] for c in calls]
    assert len(set(ids)) == 3
    assert sorted(webhook_receiver.events()) == sorted(PAID * 2)


def test_shuffle_switch_reverses_each_batch(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    sandbox.faults(webhook_shuffle=True)
    sandbox.pay(make_order()["id"])
    webhook_receiver.wait_for(3)
    assert webhook_receiver.events() == PAID[::-1]


def test_drop_switch_records_for_redelivery(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    sandbox.faults(webhook_drop=True)
    sandbox.pay(make_order()["id"])
    sandbox.flush()
    assert webhook_receiver.calls == []
    dropped = sandbox.webhooks(status="dropped")
    assert [d["event"] for d in dropped] == PAID
    assert not any(d["delivered"] for d in dropped)
    sandbox.redeliver(dropped[2]["event_id"])  # explicit redelivery ignores the switch
    (call,) = webhook_receiver.wait_for(1)
    assert body(call)["event"] == "order.paid"
    sandbox.flush()
    assert [d["event"] for d in sandbox.webhooks(delivered="True")] == ["order.paid"]


def test_bad_and_missing_signatures(
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
    make_order: Any,
) -> None:
    sandbox.faults(webhook_bad_signature=True)
    sandbox.pay(make_order()["id"], outcome="failed")
    (bad,) = webhook_receiver.wait_for(1)
    with pytest.raises(SignatureVerificationError):
        rzp.utility.verify_webhook_signature(bad.body.decode(), bad.headers["x-razorpay-signature"], WEBHOOK_SECRET)
    sandbox.faults(webhook_bad_signature=False, webhook_missing_signature=True)
    sandbox.pay(make_order()["id"], outcome="failed")
    calls = webhook_receiver.wait_for(2)
    assert "x-razorpay-signature" not in calls[1].headers
    assert "x-razorpay-event-id" in calls[1].headers


def test_delay_switch_holds_deliveries_back(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    sandbox.faults(webhook_delay_seconds=1.0)
    started = time.monotonic()
    sandbox.pay(make_order()["id"])
    time.sleep(0.2)  # well inside the delay, however slow the machine
    assert webhook_receiver.calls == []
    sandbox.flush()
    assert time.monotonic() - started >= 1.0
    assert webhook_receiver.events() == PAID


def test_without_a_url_events_are_recorded_only(sandbox: Sandbox, webhook_receiver: Receiver, make_order: Any) -> None:
    sandbox.control("POST", "/webhook_url", {"url": None})
    sandbox.pay(make_order()["id"], outcome="failed")
    sandbox.flush()
    assert webhook_receiver.calls == []
    (unsent,) = sandbox.webhooks()
    assert unsent["status"] == "unsent"
    sandbox.control("POST", "/webhook_url", {"url": webhook_receiver.url})
    sandbox.redeliver(unsent["event_id"])
    assert body(webhook_receiver.wait_for(1)[0])["event"] == "payment.failed"


def test_unreachable_receiver_gives_up_after_max_attempts(make_order: Any) -> None:
    app = create_sandbox_app(
        key_id="k",
        key_secret="s",
        webhook_secret="w",
        webhook_url="http://127.0.0.1:9/nowhere",
        webhook_backoff_base=0.01,
        webhook_max_attempts=3,
    )
    with ServerThread(app) as server:
        client = razorpay.Client(auth=("k", "s"), base_url=server.url)
        order = client.order.create({"amount": 100, "currency": "INR"})
        httpx.post(f"{server.url}/_control/orders/{order['id']}/pay", json={"outcome": "failed"})
        flushed = httpx.post(f"{server.url}/_control/webhooks/flush", json={"timeout": 5})
        assert flushed.json() == {"flushed": True, "pending": 0}
        (delivery,) = httpx.get(f"{server.url}/_control/webhooks").json()["items"]
    assert (delivery["status"], delivery["attempts"]) == ("failed", 3)
    assert delivery["last_error"].startswith("ConnectError")


def test_in_process_calls_on_fresh_loops_deliver_webhooks(webhook_receiver: Receiver) -> None:
    """Each request on its own event loop (as Starlette's TestClient does); queued jobs follow."""
    app = create_sandbox_app(key_id="k", key_secret="s", webhook_secret="w", webhook_url=webhook_receiver.url)

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async def go() -> Any:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
                response = await client.request(method, path, json=body, auth=("k", "s"))
                return response.json()

        return run_on_fresh_loop(go)

    webhook_receiver.clear()
    order = call("POST", "/v1/orders", {"amount": 100, "currency": "INR"})
    call("POST", f"/_control/orders/{order['id']}/pay")
    assert call("POST", "/_control/webhooks/flush", {"timeout": 5}) == {"flushed": True, "pending": 0}
    assert webhook_receiver.events() == PAID
    assert app.state.sandbox.store.orders[order["id"]].status == "paid"
