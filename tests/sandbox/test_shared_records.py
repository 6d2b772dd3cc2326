"""Two emulators sharing their records through Redis behave as one, as the app's workers do
with REDIS_URL set: an order made through one is paid through the other, fault switches and
resets reach both, each webhook is delivered once, and orders created through both at once
are all kept. Skipped (with the reason) where no Redis answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import razorpay
import redis
from starlette.applications import Starlette
from starlette.routing import Mount

from billing_app.sandbox import create_sandbox_app
from tests.api_processes import REDIS_URL, require_redis

from .helpers import ACCOUNT_ID, BACKOFF, KEY_ID, KEY_SECRET, MOUNT, WEBHOOK_SECRET, Receiver, Sandbox, ServerThread


@pytest.fixture
def namespace() -> Iterator[str]:
    client = redis.Redis.from_url(require_redis())
    name = f"billing_app:test-sandbox:{uuid.uuid4().hex}"
    yield name
    client.delete(*client.keys(f"{name}:*") or [f"{name}:none"])
    client.close()


@pytest.fixture
def receiver(sandbox: Sandbox, webhook_receiver: Receiver) -> Receiver:
    """The shared receiver, emptied; `sandbox` resets the shared emulator first, so none of an
    earlier test's webhook retries is still due to it."""
    return webhook_receiver


def _emulator(namespace: str, webhook_url: str) -> Starlette:
    app = create_sandbox_app(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        webhook_url=webhook_url,
        account_id=ACCOUNT_ID,
        webhook_backoff_base=BACKOFF,
        shared_redis_url=REDIS_URL,
        shared_namespace=namespace,
    )
    return Starlette(routes=[Mount(MOUNT, app=app)])


@pytest.fixture
def pair(namespace: str, receiver: Receiver) -> Iterator[tuple[Sandbox, Sandbox]]:
    with ServerThread(_emulator(namespace, receiver.url)) as a, ServerThread(_emulator(namespace, receiver.url)) as b:
        yield Sandbox(a.url), Sandbox(b.url)


def sdk(sandbox: Sandbox) -> razorpay.Client:
    client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sandbox.base_url)
    return client


def test_an_order_made_through_one_is_paid_and_seen_through_the_other(pair, receiver):
    a, b = pair
    order = sdk(a).order.create({"amount": 50000, "currency": "INR", "receipt": "r-1"})
    paid = b.pay(order["id"], method="upi")
    assert paid["razorpay_order_id"] == order["id"]
    assert sdk(a).order.fetch(order["id"])["status"] == "paid"
    payments = sdk(b).order.payments(order["id"])["items"]
    assert [(p["id"], p["status"]) for p in payments] == [(paid["razorpay_payment_id"], "captured")]
    # a receipt is unique across both, as at Razorpay
    with pytest.raises(razorpay.errors.BadRequestError):
        sdk(b).order.create({"amount": 50000, "currency": "INR", "receipt": "r-1"})


def test_each_webhook_is_delivered_once_and_both_list_it(pair, receiver):
    a, b = pair
    order = sdk(a).order.create({"amount": 50000, "currency": "INR"})
    b.pay(order["id"], method="card")
    a.flush()
    b.flush()
    # the receiver is shared: a late retry from an earlier test's emulator may land too
    ours = [body for body in (json.loads(c.body) for c in receiver.calls) if about(body, order["id"])]
    events = sorted(body["event"] for body in ours)
    assert events == ["order.paid", "payment.authorized", "payment.captured"]
    assert len({body["payload"]["payment"]["entity"]["id"] for body in ours}) == 1
    for sandbox in (a, b):
        listed = sandbox.webhooks()
        assert sorted(w["event"] for w in listed) == events
        assert all(w["status"] == "delivered" and w["attempts"] == 1 for w in listed)


def about(body: dict[str, Any], order_id: str) -> bool:
    payment = body.get("payload", {}).get("payment", {}).get("entity", {})
    return payment.get("order_id") == order_id


def test_fault_switches_and_reset_reach_both(pair):
    a, b = pair
    a.faults(api_error=503, api_error_count=1)
    assert b.control("GET", "/faults")["api_error"] == 503
    with pytest.raises(razorpay.errors.ServerError):
        sdk(b).order.create({"amount": 50000, "currency": "INR"})
    # the one failure was used up by b: a's next call succeeds
    order = sdk(a).order.create({"amount": 50000, "currency": "INR"})
    b.reset()
    with pytest.raises(razorpay.errors.BadRequestError):
        sdk(a).order.fetch(order["id"])
    assert a.control("GET", "/faults")["api_error"] is None


def test_orders_created_through_both_at_once_are_all_kept(pair):
    a, b = pair

    def create(i: int) -> dict[str, Any]:
        return sdk(a if i % 2 else b).order.create({"amount": 10000 + i, "currency": "INR", "receipt": f"c-{i}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, range(40)))
    assert len({o["id"] for o in created}) == 40
    listed = sdk(b).order.all({"count": 100})["items"]
    assert {o["id"] for o in listed} == {o["id"] for o in created}


def test_a_mandate_authorised_through_one_is_charged_through_the_other_on_one_clock(pair, receiver):
    a, b = pair
    customer = sdk(a).customer.create({"name": "Acme", "email": "ops@acme.test", "contact": "+919000000001"})
    expire_at = a.control("GET", "/clock")["now"] + 365 * 86400
    order = sdk(a).order.create(
        {
            "amount": 100,
            "currency": "INR",
            "customer_id": customer["id"],
            "method": "upi",
            "token": {"max_amount": 1_000_000, "expire_at": expire_at, "frequency": "as_presented"},
        }
    )
    b.pay(order["id"])
    (token,) = sdk(b).token.all(customer["id"])["items"]
    debit = sdk(b).order.create({"amount": 50000, "currency": "INR", "notification": {"token_id": token["id"]}})
    b.control("POST", "/clock", {"advance": 86400})
    assert a.control("GET", "/clock")["offset"] == 86400  # the clock is shared too
    charged = sdk(a).payment.createRecurring(
        {
            "email": "ops@acme.test",
            "contact": "+919000000001",
            "amount": 50000,
            "currency": "INR",
            "order_id": debit["id"],
            "customer_id": customer["id"],
            "token": token["id"],
            "recurring": "1",
        }
    )
    assert sdk(b).payment.fetch(charged["razorpay_payment_id"])["status"] == "captured"
    sdk(b).token.cancel(customer["id"], token["id"])
    a.flush()
    b.flush()
    paid = ["payment.authorized", "payment.captured", "order.paid"]
    assert sorted(receiver.events()) == sorted([*paid, "token.confirmed", *paid, "token.cancelled"])
