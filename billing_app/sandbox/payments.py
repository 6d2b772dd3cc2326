"""Building a checkout attempt: method details, failure details, the signature."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from . import ids
from .entities import JSON, Event, Order, Payment, fee_and_tax

METHODS = ("upi", "card", "netbanking", "wallet")
MANDATE_METHODS = ("card", "upi", "emandate")  # what an authorisation order may ask for
OUTCOMES = ("captured", "authorized", "failed")


def payment_signature(key_secret: str, order_id: str, payment_id: str) -> str:
    """What checkout returns as ``razorpay_signature``: HMAC-SHA256 of ``oid|pid``."""
    message = f"{order_id}|{payment_id}".encode()
    return hmac.new(key_secret.encode(), message, hashlib.sha256).hexdigest()


def default_outcome(*, method: str, vpa: str, capture: str) -> str:
    """Razorpay's test VPA ``failure@razorpay`` fails; otherwise the capture setting."""
    if method == "upi" and vpa.startswith("failure@"):
        return "failed"
    return "captured" if capture == "automatic" else "authorized"


def instrument(payment: Payment, body: dict[str, Any], vpa: str) -> None:
    """Method-specific fields: vpa/upi, card, bank or wallet, plus acquirer data."""
    if payment.method == "upi":
        payment.vpa = vpa
        payment.acquirer_data = {"rrn": ids.digits(12), "upi_transaction_id": None}
    elif payment.method == "card":
        payment.card = {
            "id": ids.new_id("card_"),
            "entity": "card",
            "name": str(body.get("card_name") or "Sandbox User"),
            "last4": str(body.get("card_last4") or "1111")[-4:],
            "network": str(body.get("card_network") or "Visa"),
            "type": str(body.get("card_type") or "credit"),
            "issuer": body.get("card_issuer"),
            "international": False,
            "emi": False,
            "sub_type": "consumer",
        }
        payment.acquirer_data = {"auth_code": ids.digits(6)}
    elif payment.method in ("netbanking", "emandate"):
        payment.bank = str(body.get("bank") or "HDFC")
        payment.acquirer_data = {"bank_transaction_id": ids.digits(10)}
    else:
        payment.wallet = str(body.get("wallet") or "paytm")
        payment.acquirer_data = {"transaction_id": None}


def fail(payment: Payment, body: dict[str, Any]) -> JSON:
    """Mark the payment failed; return checkout's ``payment.failed`` response."""
    description = body.get("error_description") or ("Payment failed because the customer cancelled it.")
    payment.status = "failed"
    payment.error = {
        "code": "BAD_REQUEST_ERROR",
        "description": str(description),
        "source": "customer",
        "step": "payment_authentication",
        "reason": str(body.get("error_reason") or "payment_cancelled"),
    }
    meta = {"order_id": payment.order_id, "payment_id": payment.id}
    return {"error": {**payment.error, "metadata": meta}}


def capture(payment: Payment, order: Order) -> list[Event]:
    """Capture in full: payment.captured, and order.paid once the order is covered."""
    payment.status = "captured"
    payment.captured = True
    payment.fee, payment.tax = fee_and_tax(payment.amount)
    order.amount_paid += payment.amount
    events = [Event("payment.captured", {"payment": payment.wire(expand_card=True)})]
    if order.amount_paid >= order.amount:
        order.status = "paid"
        both = {"payment": payment.wire(expand_card=True), "order": order.wire()}
        events.append(Event("order.paid", both))
    return events
