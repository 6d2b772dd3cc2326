"""Recurring Payments: debits on a confirmed token, and the time they wait for.

A customer authorises a mandate once (tokens.py). Each later charge is a new order plus
``POST /v1/payments/create/recurring``. The pre-debit notification is Razorpay's to send,
so the sandbox "sends" it itself and only times it:

- decoupled flow: a debit order carrying ``notification {token_id, payment_after}`` is
  notified when it is created; the debit is refused until the clock passes both
  ``payment_after`` and the notification plus ``NOTICE_SECONDS``; then it is charged at once.
- coupled flow: a debit on an order without ``notification`` is notified when the debit
  is created; the payment stays ``created`` and is charged when the clock passes the
  notification plus Razorpay's own lead (``COUPLED_LEAD_SECONDS``).

Work that falls due when the clock moves (coupled debits, late reversals) runs in
``run_due``, which the API calls before each request and the clock control after a move.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .entities import JSON, Event, Order, Payment
from .errors import ApiError
from .mandates import Token
from .payments import capture as capture_payment
from .payments import instrument, payment_signature
from .recurring_input import (
    mandate_input,
    notification_input,
    recurring_input,
)
from .tokens import MandateOps

NOTICE_SECONDS = 24 * 3600  # RBI: a pre-debit notification at least 24 h before the debit
COUPLED_LEAD_SECONDS = {"upi": 25 * 3600, "card": 36 * 3600 + 5 * 60, "emandate": 0}
AFA_LIMIT = 1_500_000  # paise: above ₹15,000 a card or UPI debit needs the customer's OTP/PIN again
AFA_METHODS = ("card", "upi")
REVERSAL_AFTER_SECONDS = 3600  # a reversed debit (late-failure switch) turns an hour after capture
REVERSAL_NOTES = {"reason": "debit_reversed"}
IST = timedelta(hours=5, minutes=30)
DEBIT_FAILURE = {
    "code": "BAD_REQUEST_ERROR",
    "description": "Your payment could not be completed due to insufficient account balance.",
    "source": "customer",
    "step": "payment_authorization",
    "reason": "insufficient_funds",
}


def _ist_month(ts: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(ts, UTC) + IST
    return moment.year, moment.month


class RecurringOps(MandateOps):
    # orders that start a mandate or announce a debit ---------------------------
    def _mandate_order(self, order: Order, body: dict[str, Any]) -> None:
        """Validate and attach ``token`` terms or a ``notification`` to a new order."""
        mandate = mandate_input(body, now=self.now())
        if mandate is not None:
            self._customer(mandate.customer_id, "customer_id")
            order.customer_id, order.method, order.mandate = mandate.customer_id, mandate.method, mandate.terms
        notice = notification_input(body)
        if notice is not None:
            if mandate is not None:
                raise ApiError("notification cannot be sent with token", field="notification")
            token_id, payment_after = notice
            token = self._token(token_id, "notification.token_id")
            self._usable(token)
            now = self.now()
            due = max(now + NOTICE_SECONDS, payment_after or 0)
            order.notification = {
                "token_id": token.id,
                "payment_after": payment_after,
                "notified_at": now,
                "debit_after": due,
                "flow": "decoupled",
            }

    # debits ------------------------------------------------------------------
    def create_recurring(self, body: dict[str, Any]) -> tuple[JSON, list[Event]]:
        """Charge a confirmed token on a new order. Answers the three checkout fields; the
        outcome (captured or failed) arrives as webhooks and on the payment, as at Razorpay."""
        data = recurring_input(body)
        with self._lock:
            order = self._order(data.order_id)
            token = self._customer_token(data.customer_id, data.token_id)
            self._check_debit(order, token, data.amount)
            now = self.now()
            payment = Payment(
                id=self._new_id("pay_", self.payments),
                order_id=order.id,
                amount=data.amount,
                currency=data.currency,
                method=token.method,
                email=data.email,
                contact=data.contact,
                created_at=now,
                seq=self._tick(),
                description=data.description,
                notes=data.notes,
                customer_id=token.customer_id,
                token_id=token.id,
            )
            instrument(payment, _instrument_of(token), token.vpa or "")
            self.payments[payment.id] = payment
            order.payment_ids.append(payment.id)
            order.attempts += 1
            order.status = "attempted"
            token.debits.append(payment.id)
            token.used_at = now
            if order.notification is None:  # coupled: notified now, charged after Razorpay's lead
                payment.debit_at = now + COUPLED_LEAD_SECONDS[token.method]
                order.notification = {
                    "token_id": token.id,
                    "payment_after": None,
                    "notified_at": now,
                    "debit_after": payment.debit_at,
                    "flow": "coupled",
                }
                events: list[Event] = []
            else:
                events = self._debit(payment, order)
            result = {
                "razorpay_payment_id": payment.id,
                "razorpay_order_id": order.id,
                "razorpay_signature": payment_signature(self.key_secret, order.id, payment.id),
            }
            return result, events

    def _check_debit(self, order: Order, token: Token, amount: int) -> None:
        if order.mandate is not None:
            raise ApiError("An authorisation order cannot be charged; create a new order", field="order_id")
        if order.status == "paid":
            raise ApiError("This order has already been paid", field="order_id")
        if amount != order.amount - order.amount_paid:
            raise ApiError("The amount must be equal to the order amount", field="amount")
        self._usable(token)
        if amount > token.max_amount:
            raise ApiError("The amount exceeds the maximum amount allowed for this token", field="amount")
        if token.method in AFA_METHODS and amount > AFA_LIMIT:
            raise ApiError(
                "A recurring payment above INR 15,000 needs the customer's authentication",
                field="amount",
                reason="authentication_required",
            )
        notice = order.notification
        if notice is not None:
            if notice["token_id"] != token.id:
                raise ApiError("The token does not match the order's notification", field="token")
            if self.now() < notice["debit_after"]:
                raise ApiError(
                    f"The payment can be created only after {notice['debit_after']}, at least 24 hours "
                    "after the pre-debit notification",
                    field="order_id",
                    reason="pre_debit_notification_pending",
                )
        debits = [self.payments[p] for p in token.debits]
        if any(p.status in ("created", "authorized") for p in debits):
            raise ApiError("Another recurring payment on this token is still being processed", field="token")
        if token.frequency == "monthly":
            month = _ist_month(self.now())
            if any(p.captured and _ist_month(p.created_at) == month for p in debits):
                raise ApiError("A monthly token allows one successful debit per month", field="token")

    def _debit(self, payment: Payment, order: Order) -> list[Event]:
        """Charge now: fail (fault switch), or authorise and capture as the order says."""
        if self.faults.take("recurring_fail_next"):
            payment.status = "failed"
            payment.error = dict(DEBIT_FAILURE)
            return [Event("payment.failed", {"payment": payment.wire(expand_card=True)})]
        payment.status = "authorized"
        events = [Event("payment.authorized", {"payment": payment.wire(expand_card=True)})]
        if order.capture == "automatic":
            events += capture_payment(payment, order)
            if self.faults.take("recurring_reverse_next"):
                payment.reverse_at = self.now() + REVERSAL_AFTER_SECONDS
        return events

    def run_due(self) -> list[Event]:
        """Coupled debits whose time has come, then reversals that are due."""
        with self._lock:
            now = self.now()
            events: list[Event] = []
            waiting = [p for p in self.payments.values() if p.debit_at is not None and p.debit_at <= now]
            for payment in sorted(waiting, key=lambda p: (p.debit_at, p.seq)):
                payment.debit_at = None
                if payment.status == "created":
                    events += self._debit(payment, self._order(payment.order_id))
            due = [p for p in self.payments.values() if p.reverse_at is not None and p.reverse_at <= now]
            for payment in sorted(due, key=lambda p: (p.reverse_at, p.seq)):
                events += self.reverse(payment.id)[1]
            return events

    def reverse(self, payment_id: str) -> tuple[JSON, list[Event]]:
        """A captured debit failing late: Razorpay returns the money as a full refund it
        makes itself (refund.created, refund.processed), marked ``notes.reason``."""
        with self._lock:
            payment = self._payment(payment_id)
            payment.reverse_at = None
            if payment.status != "captured":
                raise ApiError("Only captured payments can be reversed", field="payment_id")
            remaining = payment.amount - payment.amount_refunded
            return self.refund(payment.id, {"amount": remaining, "notes": REVERSAL_NOTES})

    # clock -------------------------------------------------------------------
    def move_clock(self, body: dict[str, Any]) -> tuple[JSON, list[Event]]:
        """``{advance: seconds}`` or ``{now: unix seconds}``; never backwards. Runs what fell due."""
        with self._lock:
            if "advance" in body:
                step = body["advance"]
                if isinstance(step, bool) or not isinstance(step, int) or step < 0:
                    raise ApiError("advance: must be a whole number of seconds >= 0", field="advance")
                self.clock.offset += step
            elif "now" in body:
                target = body["now"]
                if isinstance(target, bool) or not isinstance(target, int) or target < self.now():
                    raise ApiError("now: must be unix seconds, not earlier than the clock", field="now")
                self.clock.offset += target - self.now()
            return self.clock_state(), self.run_due()

    def clock_state(self) -> JSON:
        return {"now": self.now(), "offset": self.clock.offset}


def _instrument_of(token: Token) -> dict[str, Any]:
    """What ``payments.instrument`` needs to describe a debit on this token."""
    if token.card is not None:
        return {f"card_{k}": token.card.get(k) for k in ("name", "last4", "network", "type", "issuer")}
    return {"bank": token.bank}
