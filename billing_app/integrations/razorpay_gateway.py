"""Razorpay, through its official SDK. The only module that imports `razorpay`.

The SDK is blocking, sets no timeout and mutates the dicts it is given: every call
here passes a timeout and a fresh dict, and callers run it in a worker thread (the
services are synchronous; Reflex states and API routes call them off the event loop).
SDK errors become PaymentGatewayError with Razorpay's description.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import razorpay
import razorpay.errors
import requests

from billing_app.context import Resource, context
from billing_app.errors import PaymentGatewayError

log = logging.getLogger(__name__)
T = TypeVar("T")


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def payment_signature_ok(*, key_secret: str, order_id: str, payment_id: str, signature: str) -> bool:
    """Checkout's signature: hex HMAC-SHA256(key_secret, "order_id|payment_id")."""
    expected = _hex_hmac(key_secret, f"{order_id}|{payment_id}".encode())
    return hmac.compare_digest(expected, signature or "")


def webhook_signature_ok(*, webhook_secret: str, raw_body: bytes, signature: str | None) -> bool:
    """Webhook signature: hex HMAC-SHA256(webhook_secret, raw body bytes as received)."""
    if not signature or not webhook_secret:
        return False
    return hmac.compare_digest(_hex_hmac(webhook_secret, raw_body), signature)


def notes_dict(notes: Any) -> dict[str, str]:
    """Razorpay serialises empty notes as [] and non-empty ones as an object."""
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


class RazorpayGateway:
    def __init__(self, *, key_id: str, key_secret: str, base_url: str, timeout: float) -> None:
        self.key_id = key_id
        self._key_secret = key_secret
        self._base_url = base_url
        self._timeout = timeout
        self._local = threading.local()

    def _client(self) -> razorpay.Client:
        # One client (and requests.Session) per thread: the SDK shares mutable defaults.
        client = getattr(self._local, "client", None)
        if client is None:
            client = razorpay.Client(auth=(self.key_id, self._key_secret), base_url=self._base_url)
            self._local.client = client
        return client

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except razorpay.errors.BadRequestError as exc:
            raise PaymentGatewayError(f"Razorpay refused {what}: {exc}", gateway_status="bad_request") from exc
        except (razorpay.errors.ServerError, razorpay.errors.GatewayError) as exc:
            raise PaymentGatewayError(f"Razorpay failed on {what}: {exc}") from exc
        except (requests.RequestException, json.JSONDecodeError, ValueError) as exc:
            log.warning("razorpay %s: %s", what, exc)
            raise PaymentGatewayError() from exc

    def create_order(self, *, amount_paise: int, currency: str, receipt: str, notes: dict[str, str]) -> dict[str, Any]:
        data = {"amount": amount_paise, "currency": currency, "receipt": receipt, "notes": dict(notes)}
        return self._call("the order", lambda: self._client().order.create(data, timeout=self._timeout))

    def fetch_order(self, order_id: str) -> dict[str, Any]:
        return self._call("the order lookup", lambda: self._client().order.fetch(order_id, {}, timeout=self._timeout))

    def order_payments(self, order_id: str) -> list[dict[str, Any]]:
        body = self._call(
            "the order's payments", lambda: self._client().order.payments(order_id, {}, timeout=self._timeout)
        )
        return list(body.get("items", []))

    def find_orders_by_receipt(self, receipt: str) -> list[dict[str, Any]]:
        query = {"receipt": receipt, "count": 10, "skip": 0}
        body = self._call("the order search", lambda: self._client().order.all(dict(query), timeout=self._timeout))
        return list(body.get("items", []))

    def fetch_payment(self, payment_id: str, *, expand_card: bool = False) -> dict[str, Any]:
        query = {"expand[]": "card"} if expand_card else {}
        return self._call(
            "the payment lookup", lambda: self._client().payment.fetch(payment_id, dict(query), timeout=self._timeout)
        )

    def capture(self, *, payment_id: str, amount_paise: int, currency: str) -> dict[str, Any]:
        return self._call(
            "the capture",
            lambda: self._client().payment.capture(
                payment_id, amount_paise, {"currency": currency}, timeout=self._timeout
            ),
        )

    def refund(
        self, *, payment_id: str, amount_paise: int, idempotency_key: str, notes: dict[str, str]
    ) -> dict[str, Any]:
        """Refund `amount_paise` of a captured payment. Razorpay makes one refund per
        `idempotency_key` (sent again with the same body, it answers the first refund)."""
        data = {"amount": amount_paise, "speed": "normal", "notes": dict(notes)}
        headers = {"X-Refund-Idempotency": idempotency_key}
        return self._call(
            "the refund",
            lambda: self._client().payment.refund(payment_id, dict(data), headers=dict(headers), timeout=self._timeout),
        )

    def fetch_refund(self, refund_id: str) -> dict[str, Any]:
        return self._call(
            "the refund lookup", lambda: self._client().refund.fetch(refund_id, {}, timeout=self._timeout)
        )

    # Recurring Payments (auto top-up's mandate): a customer, an authorisation order, its token.

    def create_customer(self, *, name: str, email: str, notes: dict[str, str]) -> dict[str, Any]:
        """The org's Razorpay customer; `fail_existing` 0 answers the existing one for the same
        email instead of refusing, so asking twice is harmless."""
        data = {"name": name, "email": email, "fail_existing": "0", "notes": dict(notes)}
        return self._call("the customer", lambda: self._client().customer.create(dict(data), timeout=self._timeout))

    def create_authorisation_order(
        self,
        *,
        amount_paise: int,
        customer_id: str,
        method: str,
        max_amount_paise: int,
        expire_at: int,
        receipt: str,
        notes: dict[str, str],
    ) -> dict[str, Any]:
        """An order whose payment authorises a mandate (`token`): charged later on demand
        (`as_presented`), up to `max_amount_paise` a debit, until `expire_at` (Unix seconds)."""
        data = {
            "amount": amount_paise,
            "currency": "INR",
            "customer_id": customer_id,
            "method": method,
            "receipt": receipt,
            "token": {"max_amount": max_amount_paise, "expire_at": expire_at, "frequency": "as_presented"},
            "notes": dict(notes),
        }
        return self._call("the mandate order", lambda: self._client().order.create(dict(data), timeout=self._timeout))

    def fetch_token(self, *, customer_id: str, token_id: str) -> dict[str, Any]:
        return self._call(
            "the mandate lookup",
            lambda: self._client().token.fetch(customer_id, token_id, {}, timeout=self._timeout),
        )

    def cancel_token(self, *, customer_id: str, token_id: str) -> dict[str, Any]:
        return self._call(
            "the mandate cancellation",
            lambda: self._client().token.cancel(customer_id, token_id, {}, timeout=self._timeout),
        )

    def create_debit_order(
        self,
        *,
        amount_paise: int,
        token_id: str,
        payment_after: int,
        receipt: str,
        notes: dict[str, str],
    ) -> dict[str, Any]:
        """The order of one automatic debit, decoupled flow: creating it with `notification
        {token_id, payment_after}` is the pre-debit notification Razorpay sends; the debit may be
        created once `payment_after` (Unix seconds) has passed."""
        data = {
            "amount": amount_paise,
            "currency": "INR",
            "receipt": receipt,
            "payment_capture": 1,
            "notification": {"token_id": token_id, "payment_after": payment_after},
            "notes": dict(notes),
        }
        return self._call("the debit order", lambda: self._client().order.create(dict(data), timeout=self._timeout))

    def create_recurring(
        self,
        *,
        order_id: str,
        customer_id: str,
        token_id: str,
        amount_paise: int,
        email: str,
        contact: str,
        description: str,
        notes: dict[str, str],
    ) -> dict[str, Any]:
        """Charge the mandate for a notified debit order. The answer names the payment; its
        outcome comes later (webhooks, or the payment looked up)."""
        data = {
            "email": email,
            "contact": contact,
            "amount": amount_paise,
            "currency": "INR",
            "order_id": order_id,
            "customer_id": customer_id,
            "token": token_id,
            "recurring": "1",
            "description": description,
            "notes": dict(notes),
        }
        return self._call(
            "the recurring debit", lambda: self._client().payment.createRecurring(dict(data), timeout=self._timeout)
        )

    def payment_signature_ok(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        return payment_signature_ok(
            key_secret=self._key_secret, order_id=order_id, payment_id=payment_id, signature=signature
        )


GATEWAY = Resource(
    "razorpay_gateway",
    lambda ctx: RazorpayGateway(
        key_id=ctx.settings.key_id,
        key_secret=ctx.settings.key_secret.get_secret_value(),
        base_url=ctx.settings.razorpay_api_url,
        timeout=ctx.settings.razorpay_timeout_seconds,
    ),
)


def get_gateway() -> RazorpayGateway:
    return context().get(GATEWAY)
