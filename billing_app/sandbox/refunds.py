"""Refunds: captured payments only, at most what remains, idempotent by header."""

from __future__ import annotations

import json
from typing import Any

from . import ids
from .entities import JSON, Event, Refund, collection
from .errors import ApiError, not_found
from .state import State
from .validation import amount_field, notes_field, receipt_field

MIN_IDEMPOTENCY_KEY = 10
IDEMPOTENCY_HEADER = "X-Refund-Idempotency"


class RefundOps(State):
    def refund(
        self, payment_id: str, body: dict[str, Any], idempotency_key: str | None = None
    ) -> tuple[JSON, list[Event]]:
        """Refund ``amount`` (default: all that remains) and fire refund.created,
        refund.processed. The same idempotency key with the same body returns the
        first refund again and fires nothing."""
        with self._lock:
            payment = self._payment(payment_id)
            fingerprint = json.dumps([payment_id, body], sort_keys=True, default=str)
            if idempotency_key is not None:
                if len(idempotency_key) < MIN_IDEMPOTENCY_KEY:
                    raise ApiError(
                        f"{IDEMPOTENCY_HEADER} must be at least 10 characters",
                        field=IDEMPOTENCY_HEADER,
                    )
                seen = self.idempotency.get(idempotency_key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        raise ApiError(
                            f"The request differs from the first one sent with this {IDEMPOTENCY_HEADER} key",
                            field=IDEMPOTENCY_HEADER,
                        )
                    return self.refunds[seen[1]].wire(), []
            if payment.refund_status == "full":
                raise ApiError("The payment has been fully refunded already")
            if payment.status != "captured":
                raise ApiError("Only captured payments can be refunded")
            remaining = payment.amount - payment.amount_refunded
            amount = amount_field(body, required=False) or remaining
            if amount > remaining:
                raise ApiError(
                    "The refund amount provided is greater than amount captured",
                    field="amount",
                )
            speed = body.get("speed") or "normal"
            if speed not in ("normal", "optimum"):
                raise ApiError("The selected speed is invalid.", field="speed")
            refund = Refund(
                id=self._new_id("rfnd_", self.refunds),
                payment_id=payment.id,
                amount=amount,
                currency=payment.currency,
                notes=notes_field(body),
                receipt=receipt_field(body),
                speed_requested=speed,
                created_at=self.now(),
                seq=self._tick(),
            )
            self.refunds[refund.id] = refund
            payment.refund_ids.append(refund.id)
            payment.amount_refunded += amount
            if payment.refund_status == "full":
                payment.status = "refunded"
            both = {"refund": refund.wire(), "payment": payment.wire(expand_card=True)}
            events = [Event("refund.created", both)]
            refund.status = "processed"
            refund.arn = ids.digits(12)
            both = {"refund": refund.wire(), "payment": payment.wire(expand_card=True)}
            events.append(Event("refund.processed", both))
            if idempotency_key is not None:
                self.idempotency[idempotency_key] = (fingerprint, refund.id)
            return refund.wire(), events

    def get_refund(self, refund_id: str) -> JSON:
        with self._lock:
            return self._refund(refund_id).wire()

    def list_refunds(self, params: dict[str, Any]) -> JSON:
        with self._lock:
            rows = self._page(self.refunds.values(), params)
            return collection([r.wire() for r in rows])

    def payment_refunds(self, payment_id: str, params: dict[str, Any]) -> JSON:
        with self._lock:
            payment = self._payment(payment_id)
            rows = self._page((self.refunds[r] for r in payment.refund_ids), params)
            return collection([r.wire() for r in rows])

    def payment_refund(self, payment_id: str, refund_id: str) -> JSON:
        with self._lock:
            refund = self._refund(refund_id)
            if refund.payment_id != self._payment(payment_id).id:
                raise not_found()
            return refund.wire()
