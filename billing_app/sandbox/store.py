"""Orders and payments; refunds come from ``RefundOps``, customers, tokens and recurring
debits from ``RecurringOps`` (recurring.py).

Every mutating method returns the webhook events it fired, each carrying snapshots
taken at that moment, in the order Razorpay fires them; the caller queues them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .entities import JSON, Event, Order, Payment, collection
from .errors import ApiError
from .payments import (
    MANDATE_METHODS,
    METHODS,
    OUTCOMES,
    default_outcome,
    fail,
    instrument,
    payment_signature,
)
from .payments import capture as capture_payment
from .recurring import RecurringOps
from .validation import amount_field, currency_field, notes_field, order_input


class Store(RecurringOps):
    # orders ------------------------------------------------------------------
    def create_order(self, body: dict[str, Any]) -> JSON:
        zero_ok = body.get("method") == "emandate" and body.get("token") is not None
        data = order_input(body, max_amount=self.max_amount, allow_zero=zero_ok)
        with self._lock:
            unique = self.faults.receipt_unique
            if unique and data.receipt is not None and data.receipt in self.receipts:
                raise ApiError("Order receipt should be unique.", field="receipt")
            order = Order(
                id=self._new_id("order_", self.orders),
                amount=data.amount,
                currency=data.currency,
                receipt=data.receipt,
                notes=data.notes,
                capture=data.capture,
                created_at=self.now(),
                seq=self._tick(),
            )
            self._mandate_order(order, body)
            self.orders[order.id] = order
            if data.receipt is not None:
                self.receipts.add(data.receipt)
            return order.wire()

    def get_order(self, order_id: str) -> JSON:
        with self._lock:
            return self._order(order_id).wire()

    def list_orders(self, params: dict[str, Any]) -> JSON:
        with self._lock:
            rows: Iterable[Order] = self.orders.values()
            if params.get("receipt"):
                rows = [o for o in rows if o.receipt == params["receipt"]]
            if str(params.get("authorized", "")) in ("1", "true"):
                rows = [o for o in rows if self._has_authorized(o)]
            return collection([o.wire() for o in self._page(rows, params)])

    def _has_authorized(self, order: Order) -> bool:
        return any(self.payments[p].status == "authorized" for p in order.payment_ids)

    def order_payments(self, order_id: str, expand: frozenset[str] = frozenset()) -> JSON:
        with self._lock:
            order = self._order(order_id)
            newest_first = (self.payments[p] for p in reversed(order.payment_ids))
            return collection([p.wire(expand_card="card" in expand) for p in newest_first])

    # payments ----------------------------------------------------------------
    def get_payment(self, payment_id: str, expand: frozenset[str] = frozenset()) -> JSON:
        with self._lock:
            return self._payment(payment_id).wire(expand_card="card" in expand)

    def payment_card(self, payment_id: str) -> JSON:
        with self._lock:
            card = self._payment(payment_id).card
            if card is None:
                raise ApiError("Payment was not done using card", source="NA", step="NA", reason="NA")
            return dict(card)

    def list_payments(self, params: dict[str, Any], expand: frozenset[str] = frozenset()) -> JSON:
        with self._lock:
            rows = self._page(self.payments.values(), params)
            return collection([p.wire(expand_card="card" in expand) for p in rows])

    def pay(self, order_id: str, body: dict[str, Any]) -> tuple[JSON, list[Event]]:
        """One checkout attempt (control API): authorise, capture or fail a payment.

        Bumps ``attempts``; the order becomes ``attempted``, and ``paid`` once a
        payment is captured. A paid order refuses further attempts.
        """
        with self._lock:
            order = self._order(order_id)
            if order.status == "paid":
                raise ApiError("This order has already been paid", field="order_id")
            method = body.get("method") or order.method or "upi"
            if order.method is not None and method != order.method:
                raise ApiError(f"method must be {order.method} for this order", field="method")
            allowed = MANDATE_METHODS if order.mandate else METHODS
            if method not in allowed:
                choices = ", ".join(allowed)
                raise ApiError(f"method must be one of {choices}", field="method")
            self.checkout_flags(order, body)
            vpa = str(body.get("vpa") or "success@razorpay")
            outcome = body.get("outcome") or default_outcome(method=method, vpa=vpa, capture=order.capture)
            if outcome not in OUTCOMES:
                choices = ", ".join(OUTCOMES)
                raise ApiError(f"outcome must be one of {choices}", field="outcome")
            if body.get("token_status") not in (None, "confirmed", "initiated", "rejected"):
                raise ApiError("token_status must be one of confirmed, initiated, rejected", field="token_status")
            payment = Payment(
                id=self._new_id("pay_", self.payments),
                order_id=order.id,
                amount=order.amount - order.amount_paid,
                currency=order.currency,
                method=method,
                email=str(body.get("email") or "void@razorpay.com"),
                contact=str(body.get("contact") or "+919000090000"),
                created_at=self.now(),
                seq=self._tick(),
                description=body.get("description"),
                notes=notes_field(body),
                customer_id=order.customer_id,
            )
            instrument(payment, body, vpa)
            self.payments[payment.id] = payment
            order.payment_ids.append(payment.id)
            order.attempts += 1
            if order.status == "created":
                order.status = "attempted"
            if outcome == "failed":
                failure = fail(payment, body)
                return failure, [Event("payment.failed", {"payment": payment.wire(expand_card=True)})]
            token = self._new_token(order, payment) if order.mandate is not None else None
            payment.status = "authorized"
            events = [Event("payment.authorized", {"payment": payment.wire(expand_card=True)})]
            if outcome == "captured":
                events += capture_payment(payment, order)
            if token is not None:
                events += self._settle_token(token, body)
            signature = payment_signature(self.key_secret, order.id, payment.id)
            result = {
                "razorpay_payment_id": payment.id,
                "razorpay_order_id": order.id,
                "razorpay_signature": signature,
            }
            return result, events

    def capture(self, payment_id: str, body: dict[str, Any]) -> tuple[JSON, list[Event]]:
        """Capture an authorized payment for exactly its amount; fires
        payment.captured and order.paid."""
        with self._lock:
            payment = self._payment(payment_id)
            amount = amount_field(body)
            currency = currency_field(body, default=payment.currency)
            if payment.captured:
                raise ApiError("This payment has already been captured")
            if payment.status != "authorized":
                raise ApiError("Only payments which have been authorized and not yet captured can be captured")
            if amount != payment.amount:
                raise ApiError(
                    "Capture amount must be equal to the amount authorized",
                    field="amount",
                )
            if currency != payment.currency:
                raise ApiError("Currency should be same as the payment currency", field="currency")
            order = self._order(payment.order_id)
            if order.status == "paid":
                raise ApiError("The order for this payment has already been paid")
            events = capture_payment(payment, order)
            return payment.wire(), events
