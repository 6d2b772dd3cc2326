"""Recurring Payments through the real razorpay SDK over HTTP: customers, mandates (tokens),
debits that wait for the pre-debit notification on the movable clock, the limits, the
token.* webhooks and the failure switches."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import razorpay
from razorpay.errors import BadRequestError

from .helpers import ID_PATTERN, PAYMENT_FIELDS, WEBHOOK_SECRET, Receiver, Sandbox

HOUR = 3600
DAY = 24 * HOUR
TOKEN_FIELDS = {
    "id",
    "entity",
    "token",
    "bank",
    "wallet",
    "method",
    "recurring",
    "recurring_details",
    "auth_type",
    "mrn",
    "used_at",
    "created_at",
    "start_time",
    "expired_at",
    "dcc_enabled",
    "max_amount",
    "customer_id",
    "notes",
    "billing_address",
}
AUTHORISED = ["payment.authorized", "payment.captured", "order.paid", "token.confirmed"]
CHARGED = ["payment.authorized", "payment.captured", "order.paid"]


def now(sandbox: Sandbox) -> int:
    clock: int = sandbox.control("GET", "/clock")["now"]
    return clock


def advance(sandbox: Sandbox, seconds: int) -> dict[str, Any]:
    result: dict[str, Any] = sandbox.control("POST", "/clock", {"advance": seconds})
    return result


class Mandates:
    """Builds customers, authorised tokens and debit orders the way the app will."""

    def __init__(self, rzp: razorpay.Client, sandbox: Sandbox) -> None:
        self.rzp = rzp
        self.sandbox = sandbox
        self.count = 0

    def customer(self, **extra: Any) -> dict[str, Any]:
        self.count += 1
        body = {"name": "Acme Labs", "email": f"owner{self.count}@acme.test", "contact": f"+9190000{self.count:05d}"}
        created: dict[str, Any] = self.rzp.customer.create(body | extra)
        return created

    def authorisation_order(self, customer: dict[str, Any], method: str = "upi", **terms: Any) -> dict[str, Any]:
        token = {"max_amount": 1_500_000, "expire_at": now(self.sandbox) + 365 * DAY, "frequency": "as_presented"}
        body = {"amount": 100, "currency": "INR", "customer_id": customer["id"], "method": method}
        order: dict[str, Any] = self.rzp.order.create(body | {"token": token | terms})
        return order

    def authorise(
        self, method: str = "upi", pay: dict[str, Any] | None = None, **terms: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A customer and their token, authorised through the control API (checkout's path)."""
        customer = self.customer()
        order = self.authorisation_order(customer, method, **terms)
        self.sandbox.pay(order["id"], method=method, **(pay or {}))
        (token,) = self.rzp.token.all(customer["id"])["items"]
        return customer, token

    def debit_order(self, token: dict[str, Any], amount: int, **notification: Any) -> dict[str, Any]:
        """A debit order in the decoupled flow: its notification goes out as it is created."""
        self.count += 1
        body = {"amount": amount, "currency": "INR", "receipt": f"auto-{self.count}"}
        order: dict[str, Any] = self.rzp.order.create(
            body | {"notification": {"token_id": token["id"], **notification}}
        )
        return order

    def charge(self, customer: dict[str, Any], token: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.rzp.payment.createRecurring(
            {
                "email": customer["email"],
                "contact": customer["contact"],
                "amount": order["amount"],
                "currency": "INR",
                "order_id": order["id"],
                "customer_id": customer["id"],
                "token": token["id"],
                "recurring": "1",
                "description": "Auto top-up",
                "notes": {"org": "acme"},
            }
        )
        return result


@pytest.fixture
def mandates(rzp: razorpay.Client, sandbox: Sandbox) -> Mandates:
    return Mandates(rzp, sandbox)


def events(receiver: Receiver, sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every webhook delivered so far, parsed, after checking its signature."""
    sandbox.flush()
    parsed = []
    for call in receiver.calls:
        signature = call.headers["x-razorpay-signature"]
        assert razorpay.Client().utility.verify_webhook_signature(call.body.decode(), signature, WEBHOOK_SECRET)
        parsed.append(json.loads(call.body))
    return parsed


def drain(receiver: Receiver, sandbox: Sandbox) -> None:
    """Forget what was delivered so far (once it has all been delivered)."""
    sandbox.flush()
    receiver.clear()


def names(receiver: Receiver, sandbox: Sandbox) -> list[str]:
    return [e["event"] for e in events(receiver, sandbox)]


# customers ---------------------------------------------------------------------


def test_customers_are_created_fetched_and_not_duplicated(rzp: razorpay.Client, mandates: Mandates) -> None:
    customer = mandates.customer(notes={"org_id": "42"})
    assert re.match(ID_PATTERN.format(prefix="cust_"), customer["id"])
    assert set(customer) == {"id", "entity", "name", "email", "contact", "gstin", "notes", "created_at"}
    assert (customer["entity"], customer["notes"]) == ("customer", {"org_id": "42"})
    assert rzp.customer.fetch(customer["id"]) == customer
    same = {"name": "Acme Labs", "email": customer["email"], "contact": customer["contact"]}
    with pytest.raises(BadRequestError, match="Customer already exists"):
        rzp.customer.create(same)
    assert rzp.customer.create(same | {"fail_existing": "0"}) == customer
    with pytest.raises(BadRequestError, match="does not exist"):
        rzp.customer.fetch("cust_DoesNotExist00")


# the mandate -------------------------------------------------------------------


def test_upi_mandate_whole_lifecycle(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer = mandates.customer()
    expire_at = now(sandbox) + 365 * DAY
    order = mandates.authorisation_order(customer, "upi", max_amount=2_000_000, expire_at=expire_at)
    assert order["token"] == {"max_amount": 2_000_000, "expire_at": expire_at, "frequency": "as_presented"}
    assert (order["method"], order["customer_id"]) == ("upi", customer["id"])

    paid = sandbox.pay(order["id"], method="upi", vpa="asha@okhdfc")
    assert rzp.utility.verify_payment_signature(paid)
    authorisation = rzp.payment.fetch(paid["razorpay_payment_id"])
    (token,) = rzp.token.all(customer["id"])["items"]
    assert (authorisation["customer_id"], authorisation["token_id"]) == (customer["id"], token["id"])
    assert set(token) == TOKEN_FIELDS | {"vpa"}
    assert re.match(ID_PATTERN.format(prefix="token_"), token["id"])
    assert token["vpa"] == {"username": "asha", "handle": "okhdfc", "name": None}
    assert token["recurring_details"] == {"status": "confirmed", "failure_reason": None}
    assert (token["max_amount"], token["expired_at"], token["method"]) == (2_000_000, expire_at, "upi")
    assert rzp.token.fetch(customer["id"], token["id"]) == token
    authorised = events(webhook_receiver, sandbox)
    assert [e["event"] for e in authorised] == AUTHORISED
    assert authorised[1]["payload"]["payment"]["entity"]["token_id"] == token["id"]
    assert authorised[3]["payload"]["token"]["entity"]["id"] == token["id"]
    drain(webhook_receiver, sandbox)

    # a debit: notified when its order is created, refused until 24 h have passed
    debit = mandates.debit_order(token, 500_000)
    assert sandbox.control("GET", f"/orders/{debit['id']}")["notification"]["flow"] == "decoupled"
    with pytest.raises(BadRequestError, match="24 hours after the pre-debit notification"):
        mandates.charge(customer, token, debit)
    advance(sandbox, DAY - HOUR)
    with pytest.raises(BadRequestError, match="pre-debit notification"):
        mandates.charge(customer, token, debit)
    advance(sandbox, HOUR)
    charged = mandates.charge(customer, token, debit)
    assert set(charged) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert rzp.utility.verify_payment_signature(charged)
    payment = rzp.payment.fetch(charged["razorpay_payment_id"])
    assert set(payment) == PAYMENT_FIELDS | {"upi", "customer_id", "token_id"}
    assert (payment["status"], payment["amount"], payment["method"], payment["vpa"]) == (
        "captured",
        500_000,
        "upi",
        "asha@okhdfc",
    )
    assert (payment["token_id"], payment["description"], payment["notes"]) == (
        token["id"],
        "Auto top-up",
        {"org": "acme"},
    )
    assert rzp.order.fetch(debit["id"])["status"] == "paid"
    assert names(webhook_receiver, sandbox) == CHARGED
    drain(webhook_receiver, sandbox)

    # cancelling the mandate: token.cancelled, and no further debits
    cancelled = rzp.token.cancel(customer["id"], token["id"])
    assert cancelled["recurring_details"]["status"] == "cancelled"
    (event,) = events(webhook_receiver, sandbox)
    assert event["event"] == "token.cancelled"
    assert event["payload"]["token"]["entity"]["recurring_details"]["status"] == "cancelled"
    with pytest.raises(BadRequestError, match="cancelled"):
        mandates.debit_order(token, 100_000)
    assert rzp.token.delete(customer["id"], token["id"]) == {"deleted": True}
    assert rzp.token.all(customer["id"])["items"] == []
    with pytest.raises(BadRequestError, match="does not exist"):
        rzp.token.fetch(customer["id"], token["id"])


def test_card_mandate_shows_the_card_and_a_coupled_debit_waits_for_razorpays_lead(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("card", pay={"card_last4": "4242", "card_network": "Visa"})
    assert token["card"]["last4"] == "4242"
    assert token["card"]["network"] == "Visa"
    assert token["card"]["flows"]["recurring"] is True
    assert "vpa" not in token
    drain(webhook_receiver, sandbox)

    # without a notification object Razorpay notifies at once and debits 36 h 5 min later
    order = rzp.order.create({"amount": 250_000, "currency": "INR"})
    charged = mandates.charge(customer, token, order)
    payment = rzp.payment.fetch(charged["razorpay_payment_id"], {"expand[]": "card"})
    assert payment["status"] == "created"
    assert payment["card"]["last4"] == "4242"
    with pytest.raises(BadRequestError, match="still being processed"):
        mandates.charge(customer, token, rzp.order.create({"amount": 100_000, "currency": "INR"}))
    advance(sandbox, 36 * HOUR)
    assert rzp.payment.fetch(payment["id"])["status"] == "created"
    assert names(webhook_receiver, sandbox) == []
    advance(sandbox, 5 * 60)
    assert rzp.payment.fetch(payment["id"])["status"] == "captured"
    assert names(webhook_receiver, sandbox) == CHARGED


def test_payment_after_later_than_a_day_is_honoured(sandbox: Sandbox, mandates: Mandates) -> None:
    customer, token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 100_000, payment_after=now(sandbox) + 30 * HOUR)
    advance(sandbox, 25 * HOUR)
    with pytest.raises(BadRequestError, match="only after"):
        mandates.charge(customer, token, debit)
    advance(sandbox, 5 * HOUR)
    assert mandates.charge(customer, token, debit)["razorpay_order_id"] == debit["id"]


def test_authorisation_orders_are_validated(rzp: razorpay.Client, sandbox: Sandbox, mandates: Mandates) -> None:
    customer = mandates.customer()
    later = now(sandbox) + DAY
    base = {"amount": 100, "currency": "INR", "customer_id": customer["id"], "method": "upi"}
    token = {"max_amount": 100_000, "expire_at": later}
    refusals = [
        ({**base, "customer_id": None, "token": token}, "customer_id"),
        ({**base, "customer_id": "cust_DoesNotExist00", "token": token}, "does not exist"),
        ({**base, "method": "netbanking", "token": token}, "method"),
        ({**base, "method": "card", "token": {**token, "max_amount": 1_500_100}}, "max_amount"),
        ({**base, "token": {**token, "frequency": "weekly"}}, "frequency"),
        ({**base, "token": {**token, "expire_at": now(sandbox) - 1}}, "expire_at"),
    ]
    for body, message in refusals:
        with pytest.raises(BadRequestError, match=message):
            rzp.order.create(body)
    # an e-mandate may be authorised with ₹0 and defaults its maximum
    emandate = rzp.order.create({**base, "amount": 0, "method": "emandate", "token": {"auth_type": "netbanking"}})
    assert (emandate["amount"], emandate["token"]["max_amount"]) == (0, 9_999_900)
    sandbox.pay(emandate["id"], bank="HDFC")
    (token_row,) = rzp.token.all(customer["id"])["items"]
    assert (token_row["method"], token_row["bank"], token_row["auth_type"]) == ("emandate", "HDFC", "netbanking")
    # an e-mandate debit has no notice lead (charged at the next request) nor ₹15,000 ceiling
    debit = rzp.order.create({"amount": 2_000_000, "currency": "INR"})
    charged = mandates.charge(customer, token_row, debit)
    payment = rzp.payment.fetch(charged["razorpay_payment_id"])
    assert (payment["status"], payment["method"], payment["bank"]) == ("captured", "emandate", "HDFC")


# limits ------------------------------------------------------------------------


def test_debits_above_15000_rupees_and_above_max_amount_fail(sandbox: Sandbox, mandates: Mandates) -> None:
    customer, token = mandates.authorise("upi", max_amount=5_000_000)
    debit = mandates.debit_order(token, 1_500_100)
    advance(sandbox, DAY)
    with pytest.raises(BadRequestError, match="above INR 15,000 needs the customer's authentication"):
        mandates.charge(customer, token, debit)
    at_ceiling = mandates.debit_order(token, 1_500_000)
    advance(sandbox, DAY)
    assert mandates.charge(customer, token, at_ceiling)["razorpay_order_id"] == at_ceiling["id"]

    customer, small = mandates.authorise("upi", max_amount=500_000)
    debit = mandates.debit_order(small, 500_100)
    advance(sandbox, DAY)
    with pytest.raises(BadRequestError, match="maximum amount allowed for this token"):
        mandates.charge(customer, small, debit)


def test_debit_must_match_its_order_and_token(rzp: razorpay.Client, sandbox: Sandbox, mandates: Mandates) -> None:
    customer, token = mandates.authorise("upi")
    other_customer, other_token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 100_000)
    advance(sandbox, DAY)
    with pytest.raises(BadRequestError, match="does not exist"):  # a token of another customer
        mandates.charge(customer, other_token, debit)
    with pytest.raises(BadRequestError, match="does not match the order's notification"):
        mandates.charge(other_customer, other_token, debit)
    with pytest.raises(BadRequestError, match="equal to the order amount"):
        mandates.charge(customer, token, {**debit, "amount": 100_100})
    authorisation = mandates.authorisation_order(customer)
    with pytest.raises(BadRequestError, match="authorisation order cannot be charged"):
        mandates.charge(customer, token, authorisation)


def test_monthly_token_allows_one_debit_per_month(sandbox: Sandbox, mandates: Mandates) -> None:
    customer, token = mandates.authorise("upi", frequency="monthly")
    sandbox.control("POST", "/clock", {"now": _ist_first_of_next_month(now(sandbox))})
    first = mandates.debit_order(token, 100_000)
    advance(sandbox, DAY)
    mandates.charge(customer, token, first)
    second = mandates.debit_order(token, 100_000)
    advance(sandbox, DAY)
    with pytest.raises(BadRequestError, match="one successful debit per month"):
        mandates.charge(customer, token, second)
    advance(sandbox, 31 * DAY)
    assert mandates.charge(customer, token, second)["razorpay_order_id"] == second["id"]


def _ist_first_of_next_month(ts: int) -> int:
    from datetime import UTC, datetime, timedelta

    ist = timedelta(hours=5, minutes=30)
    moment = datetime.fromtimestamp(ts, UTC) + ist
    first = datetime(moment.year + moment.month // 12, moment.month % 12 + 1, 1, 9, tzinfo=UTC) - ist
    return int(first.timestamp())


# token webhooks from the bank or the customer ----------------------------------------------


def test_rejected_paused_and_confirmed_tokens_fire_their_webhooks(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("upi", pay={"token_status": "initiated"})
    assert token["recurring_details"]["status"] == "initiated"
    assert names(webhook_receiver, sandbox) == CHARGED  # no token event yet
    drain(webhook_receiver, sandbox)
    with pytest.raises(BadRequestError, match="initiated"):
        mandates.debit_order(token, 100_000)
    rejected = sandbox.control("POST", f"/tokens/{token['id']}", {"status": "rejected"})
    assert rejected["recurring_details"]["status"] == "rejected"
    assert rejected["recurring_details"]["failure_reason"]

    customer, token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 100_000)
    sandbox.control("POST", f"/tokens/{token['id']}", {"status": "paused"})
    advance(sandbox, DAY)
    with pytest.raises(BadRequestError, match="paused"):
        mandates.charge(customer, token, debit)
    sandbox.control("POST", f"/tokens/{token['id']}", {"status": "confirmed"})
    mandates.charge(customer, token, debit)
    bad = sandbox.http.post(f"/tokens/{token['id']}", json={"status": "rejected"})  # only an initiated one can be
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "status"

    parsed = events(webhook_receiver, sandbox)
    token_events = [
        (e["event"], e["payload"]["token"]["entity"]["recurring_details"]["status"])
        for e in parsed
        if e["contains"] == ["token"]
    ]
    assert token_events == [
        ("token.rejected", "rejected"),
        ("token.confirmed", "confirmed"),
        ("token.paused", "paused"),
        ("token.confirmed", "confirmed"),
    ]


def test_deleting_a_token_cancels_the_mandate(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("card")
    drain(webhook_receiver, sandbox)
    assert rzp.token.delete(customer["id"], token["id"]) == {"deleted": True}
    (event,) = events(webhook_receiver, sandbox)
    assert (event["event"], event["payload"]["token"]["entity"]["id"]) == ("token.cancelled", token["id"])


# failures ----------------------------------------------------------------------


def test_failing_debit_switch_fails_the_next_debit_and_a_retry_succeeds(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 300_000)
    advance(sandbox, DAY)
    drain(webhook_receiver, sandbox)
    sandbox.faults(recurring_fail_next=1)
    failed = mandates.charge(customer, token, debit)
    payment = rzp.payment.fetch(failed["razorpay_payment_id"])
    assert (payment["status"], payment["error_reason"]) == ("failed", "insufficient_funds")
    (event,) = events(webhook_receiver, sandbox)
    assert (event["event"], event["payload"]["payment"]["entity"]["id"]) == ("payment.failed", payment["id"])
    assert rzp.order.fetch(debit["id"])["status"] == "attempted"
    assert sandbox.control("GET", "/faults")["recurring_fail_next"] == 0
    drain(webhook_receiver, sandbox)
    # Razorpay does not retry a decoupled debit; the merchant does, on the same order
    retried = mandates.charge(customer, token, debit)
    assert rzp.payment.fetch(retried["razorpay_payment_id"])["status"] == "captured"
    assert names(webhook_receiver, sandbox) == CHARGED
    assert [p["status"] for p in rzp.order.payments(debit["id"])["items"]] == ["captured", "failed"]


def test_late_failure_switch_reverses_a_captured_debit_as_a_refund(
    rzp: razorpay.Client, sandbox: Sandbox, webhook_receiver: Receiver, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 300_000)
    advance(sandbox, DAY)
    drain(webhook_receiver, sandbox)
    sandbox.faults(recurring_reverse_next=1)
    charged = mandates.charge(customer, token, debit)
    assert rzp.payment.fetch(charged["razorpay_payment_id"])["status"] == "captured"
    assert names(webhook_receiver, sandbox) == CHARGED
    drain(webhook_receiver, sandbox)
    advance(sandbox, HOUR)
    parsed = events(webhook_receiver, sandbox)
    assert [e["event"] for e in parsed] == ["refund.created", "refund.processed"]
    refund = parsed[1]["payload"]["refund"]["entity"]
    assert (refund["amount"], refund["notes"], refund["status"]) == (300_000, {"reason": "debit_reversed"}, "processed")
    payment = rzp.payment.fetch(charged["razorpay_payment_id"])
    assert (payment["status"], payment["refund_status"]) == ("refunded", "full")
    advance(sandbox, DAY)  # reversed once only
    assert names(webhook_receiver, sandbox) == ["refund.created", "refund.processed"]


def test_a_captured_payment_can_be_reversed_through_the_control_api(
    rzp: razorpay.Client, sandbox: Sandbox, mandates: Mandates
) -> None:
    customer, token = mandates.authorise("upi")
    debit = mandates.debit_order(token, 200_000)
    advance(sandbox, DAY)
    charged = mandates.charge(customer, token, debit)
    refund = sandbox.control("POST", f"/payments/{charged['razorpay_payment_id']}/reverse")
    assert (refund["entity"], refund["amount"]) == ("refund", 200_000)
    assert sandbox.http.post(f"/payments/{charged['razorpay_payment_id']}/reverse").status_code == 400


# the clock ---------------------------------------------------------------------


def test_clock_moves_forward_only_and_dates_new_records(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    before = sandbox.control("GET", "/clock")
    assert before["offset"] == 0
    moved = advance(sandbox, 10 * DAY)
    assert moved["offset"] == 10 * DAY
    assert moved["now"] >= before["now"] + 10 * DAY
    order = rzp.order.create({"amount": 100, "currency": "INR"})
    assert order["created_at"] >= moved["now"]
    assert sandbox.http.post("/clock", json={"now": before["now"]}).status_code == 400
    assert sandbox.http.post("/clock", json={"advance": -1}).status_code == 400
    target = moved["now"] + DAY
    assert sandbox.control("POST", "/clock", {"now": target})["now"] == target
    sandbox.reset()
    assert sandbox.control("GET", "/clock")["offset"] == 0


def test_checkout_flags_and_expiry_are_checked(rzp: razorpay.Client, sandbox: Sandbox, mandates: Mandates) -> None:
    customer = mandates.customer()
    order = mandates.authorisation_order(customer, "upi", expire_at=now(sandbox) + 3 * DAY)
    refusals = [
        ({"recurring": "0"}, "recurring"),
        ({"recurring": 1, "customer_id": "cust_SomeoneElse000"}, "customer_id"),
        ({"method": "card"}, "method"),
        ({"token_status": "paused"}, "token_status"),
    ]
    for body, field in refusals:
        response = sandbox.http.post(f"/orders/{order['id']}/pay", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
    assert rzp.order.fetch(order["id"])["attempts"] == 0  # a refusal is no attempt
    sandbox.pay(order["id"], recurring=1, customer_id=customer["id"])
    (token,) = rzp.token.all(customer["id"])["items"]
    debit = mandates.debit_order(token, 100_000)
    advance(sandbox, 3 * DAY)
    with pytest.raises(BadRequestError, match="expired"):
        mandates.charge(customer, token, debit)
