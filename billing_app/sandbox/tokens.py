"""Customers and tokens (mandates): the half of Recurring Payments that needs the customer.

A customer authorises a mandate once by paying an authorisation order (an order with
``customer_id``, ``method`` and ``token {max_amount, expire_at, frequency}``) in checkout;
that creates a token, ``initiated`` and then ``confirmed``. The bank or the customer may
later reject, pause or cancel it (control API), and the merchant may cancel or delete it
(API); each change fires its ``token.*`` webhook. Debits live in recurring.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import ids
from .entities import JSON, Event, Order, Payment, collection
from .errors import ApiError, not_found
from .mandates import Customer, Token
from .recurring_input import customer_input, truthy
from .refunds import RefundOps

# Control API: a token's new status, the states it may come from, and the webhook it fires
TOKEN_MOVES = {
    "confirmed": (("initiated", "paused"), "token.confirmed"),
    "rejected": (("initiated",), "token.rejected"),
    "paused": (("confirmed",), "token.paused"),
    "cancelled": (("initiated", "confirmed", "paused"), "token.cancelled"),
}


class MandateOps(RefundOps):
    # customers ---------------------------------------------------------------
    def create_customer(self, body: dict[str, Any]) -> JSON:
        """``fail_existing`` (default 1) refuses a second customer with the same email and
        contact; with 0 the existing one is returned instead."""
        data = customer_input(body)
        with self._lock:
            same = (data.email or "").lower(), data.contact or ""
            if any(same):
                for existing in self.customers.values():
                    if ((existing.email or "").lower(), existing.contact or "") == same:
                        if data.fail_existing:
                            raise ApiError("Customer already exists for the merchant.")
                        return existing.wire()
            customer = Customer(
                id=self._new_id("cust_", self.customers),
                name=data.name,
                email=data.email,
                contact=data.contact,
                gstin=data.gstin,
                notes=data.notes,
                created_at=self.now(),
                seq=self._tick(),
            )
            self.customers[customer.id] = customer
            return customer.wire()

    def get_customer(self, customer_id: str) -> JSON:
        with self._lock:
            return self._customer(customer_id).wire()

    def list_customers(self, params: dict[str, Any]) -> JSON:
        with self._lock:
            return collection([c.wire() for c in self._page(self.customers.values(), params)])

    def _new_token(self, order: Order, payment: Payment) -> Token:
        """The token an authorisation payment creates, ``initiated`` until it settles."""
        assert order.mandate is not None and order.customer_id is not None and order.method is not None
        terms = order.mandate
        token = Token(
            id=self._new_id("token_", self.tokens),
            token=ids.new_id(""),
            customer_id=order.customer_id,
            order_id=order.id,
            method=order.method,
            max_amount=terms["max_amount"],
            expired_at=terms["expire_at"],
            frequency=terms["frequency"],
            auth_type=terms.get("auth_type"),
            notes=dict(terms.get("notes") or {}),
            created_at=self.now(),
            seq=self._tick(),
        )
        if payment.card is not None:
            token.card = {k: v for k, v in payment.card.items() if k != "id"} | {
                "expiry_month": 12,
                "expiry_year": datetime.fromtimestamp(token.expired_at, UTC).year,
                "flows": {"otp": True, "recurring": True},
            }
        token.vpa, token.bank = payment.vpa, payment.bank
        self.tokens[token.id] = token
        payment.token_id = token.id
        return token

    def _settle_token(self, token: Token, body: dict[str, Any]) -> list[Event]:
        """After the authorisation payment's own events: token.confirmed, unless the control
        call asked for ``token_status`` ``initiated`` (settled later) or ``rejected``."""
        outcome = body.get("token_status") or "confirmed"
        if outcome == "initiated":
            return []
        return self._move_token(token, {"status": outcome, "failure_reason": body.get("token_failure_reason")})

    # tokens ------------------------------------------------------------------
    def _customer_token(self, customer_id: str, token_id: str) -> Token:
        customer = self._customer(customer_id)
        token = self._token(token_id)
        if token.customer_id != customer.id:
            raise not_found()
        return token

    def list_tokens(self, customer_id: str) -> JSON:
        with self._lock:
            customer = self._customer(customer_id)
            mine = [t for t in self.tokens.values() if t.customer_id == customer.id and not t.deleted]
            return collection([t.wire() for t in sorted(mine, key=lambda t: t.seq, reverse=True)])

    def get_token(self, customer_id: str, token_id: str) -> JSON:
        with self._lock:
            return self._customer_token(customer_id, token_id).wire()

    def cancel_token(self, customer_id: str, token_id: str) -> tuple[JSON, list[Event]]:
        """``PUT …/tokens/{id}/cancel``: the mandate ends; token.cancelled."""
        with self._lock:
            token = self._customer_token(customer_id, token_id)
            if token.status == "cancelled":
                raise ApiError("The token has already been cancelled", field="token_id")
            events = self._move_token(token, {"status": "cancelled"})
            return token.wire(), events

    def delete_token(self, customer_id: str, token_id: str) -> tuple[JSON, list[Event]]:
        """``DELETE …/tokens/{id}``: cancels the mandate (token.cancelled) and forgets the token."""
        with self._lock:
            token = self._customer_token(customer_id, token_id)
            events = [] if token.status == "cancelled" else self._move_token(token, {"status": "cancelled"})
            token.deleted = True
            return {"deleted": True}, events

    def set_token_status(self, token_id: str, body: dict[str, Any]) -> tuple[JSON, list[Event]]:
        """Control API: confirm, reject, pause or cancel a token as the bank or customer would."""
        with self._lock:
            token = self._token(token_id)
            events = self._move_token(token, body)
            return token.wire(), events

    def _move_token(self, token: Token, body: dict[str, Any]) -> list[Event]:
        status = body.get("status")
        if status not in TOKEN_MOVES:
            raise ApiError(f"status must be one of {', '.join(TOKEN_MOVES)}", field="status")
        sources, event = TOKEN_MOVES[status]
        if token.status not in sources:
            raise ApiError(f"A {token.status} token cannot become {status}", field="status")
        token.status = status
        if status == "rejected":
            token.failure_reason = str(body.get("failure_reason") or "Mandate registration was rejected by the bank")
        return [Event(event, {"token": token.wire()})]

    def _usable(self, token: Token) -> None:
        if token.status != "confirmed":
            raise ApiError(f"The token is {token.status}; only a confirmed token can be charged", field="token")
        if self.now() >= token.expired_at:
            raise ApiError("The token has expired", field="token")

    def checkout_flags(self, order: Order, body: dict[str, Any]) -> None:
        """Checkout's ``recurring`` and ``customer_id`` options, when sent, must fit the order."""
        if order.mandate is None:
            return
        if "recurring" in body and body["recurring"] is not None and not truthy(body["recurring"]):
            raise ApiError("recurring must be 1 to authorise this order's mandate", field="recurring")
        customer_id = body.get("customer_id")
        if customer_id and customer_id != order.customer_id:
            raise ApiError("customer_id does not match the order's customer", field="customer_id")
