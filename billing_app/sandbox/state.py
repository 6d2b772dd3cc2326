"""The emulator's records, in memory behind one re-entrant lock, and their lookups.

With several app workers the records are also kept in Redis between requests (shared.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from . import ids
from .clock import Clock
from .entities import Order, Payment, Refund
from .errors import not_found
from .faults import Faults
from .mandates import Customer, Token
from .validation import page_params


class _Listed(Protocol):
    seq: int
    created_at: int


T = TypeVar("T", bound=_Listed)


class State:
    def __init__(self, *, key_secret: str, max_amount: int = 50_000_000) -> None:
        self.key_secret = key_secret
        self.max_amount = max_amount
        self.faults = Faults()
        self.clock = Clock()
        self._lock = threading.RLock()
        self.next_seq = 1  # orders, payments and refunds are listed newest first by it
        self._clear()

    def _clear(self) -> None:
        self.orders: dict[str, Order] = {}
        self.payments: dict[str, Payment] = {}
        self.refunds: dict[str, Refund] = {}
        self.customers: dict[str, Customer] = {}
        self.tokens: dict[str, Token] = {}
        self.receipts: set[str] = set()
        # X-Refund-Idempotency key -> (request fingerprint, refund id)
        self.idempotency: dict[str, tuple[str, str]] = {}

    def reset(self) -> None:
        """Forget every record, switch every fault off and set the clock back to real time."""
        with self._lock:
            self._clear()
            self.faults.reset()
            self.clock.offset = 0

    def now(self) -> int:
        """Unix seconds on the sandbox's (movable) clock."""
        return self.clock.now()

    def _tick(self) -> int:
        seq, self.next_seq = self.next_seq, self.next_seq + 1
        return seq

    def _order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise not_found()
        return order

    def _payment(self, payment_id: str) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise not_found()
        return payment

    def _refund(self, refund_id: str) -> Refund:
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise not_found()
        return refund

    def _customer(self, customer_id: str, field: str = "id") -> Customer:
        customer = self.customers.get(customer_id)
        if customer is None:
            raise not_found(field)
        return customer

    def _token(self, token_id: str, field: str = "id") -> Token:
        token = self.tokens.get(token_id)
        if token is None or token.deleted:
            raise not_found(field)
        return token

    def _new_id(self, prefix: str, taken: Iterable[str]) -> str:
        while (new := ids.new_id(prefix)) in taken:
            pass
        return new

    @staticmethod
    def _page(records: Iterable[T], params: dict[str, Any]) -> list[T]:
        """Newest first, ``from``/``to`` in unix seconds, then ``skip`` and ``count``."""
        page = page_params(params)
        rows = sorted(records, key=lambda r: r.seq, reverse=True)
        if page.since is not None:
            rows = [r for r in rows if r.created_at >= page.since]
        if page.until is not None:
            rows = [r for r in rows if r.created_at <= page.until]
        return rows[page.skip : page.skip + page.count]
