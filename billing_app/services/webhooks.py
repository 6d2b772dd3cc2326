"""Razorpay webhooks: verify the raw body, store the event once, process it later.

`receive` is all the HTTP request waits for (verify + one insert), so Razorpay gets its
2xx fast; `process` runs right after in the background and again from the reconciler
for anything left unprocessed (a crash between the two loses nothing).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import BillingAppError, SignatureInvalid
from billing_app.integrations.razorpay_gateway import webhook_signature_ok
from billing_app.models import WebhookEvent
from billing_app.models.types import utcnow
from billing_app.services.refunds import apply_refund
from billing_app.services.settlement import settle_order

log = logging.getLogger(__name__)

SETTLING_EVENTS = {"payment.captured", "order.paid", "payment.authorized"}
REFUND_EVENTS = {"refund.processed"}


@dataclass(frozen=True)
class Received:
    event_row_id: int | None  # None for a duplicate delivery
    duplicate: bool


def receive(*, raw_body: bytes, signature: str | None, event_id: str | None) -> Received:
    """Store a correctly signed delivery once per event id. A wrong signature is kept
    for the record (under an id of its own, so it can never shadow the real event)
    and raises SignatureInvalid."""
    ok = webhook_signature_ok(webhook_secret=get_settings().webhook_secret, raw_body=raw_body, signature=signature)
    claimed_id = (event_id or "").strip()[:64] or "sha256:" + hashlib.sha256(raw_body).hexdigest()[:57]
    text = raw_body.decode("utf-8", errors="replace")
    try:
        event_type = str(json.loads(text).get("event", ""))[:64]
    except (ValueError, AttributeError):
        event_type = ""
    row = WebhookEvent(
        event_id=claimed_id if ok else f"invalid:{uuid.uuid4().hex}",
        event_type=event_type,
        raw_body=text,
        signature_ok=ok,
        error=None if ok else f"bad signature (claimed event id {claimed_id})",
    )
    try:
        with write_session() as session:
            session.add(row)
            session.flush()
    except IntegrityError:
        return Received(None, duplicate=True)
    if not ok:
        raise SignatureInvalid()
    return Received(row.id, duplicate=False)


def _handle(event: dict[str, Any]) -> None:
    """Act on one event. Raises ValueError/KeyError for a payload we cannot read."""
    kind = event.get("event")
    payload = event.get("payload") or {}
    if kind in SETTLING_EVENTS:
        payment = (payload.get("payment") or {}).get("entity") or {}
        order = (payload.get("order") or {}).get("entity") or {}
        order_id = payment.get("order_id") or order.get("id")
        if not order_id:
            raise ValueError("no order id in the payload")
        settle_order(razorpay_order_id=order_id)
    elif kind in REFUND_EVENTS:
        refund = (payload.get("refund") or {}).get("entity") or {}
        apply_refund(refund_id=refund["id"])


def process(*, event_row_id: int) -> None:
    """Process one stored event; the outcome (or the error) is written on its row.
    Gateway failures leave it unprocessed for the reconciler to retry."""
    with read_session() as session:
        row = session.get(WebhookEvent, event_row_id)
    if row is None or row.processed_at is not None or not row.signature_ok:
        return
    error: str | None = None
    try:
        _handle(json.loads(row.raw_body))
    except BillingAppError as exc:
        if exc.code == "payment_gateway_error":
            log.warning("webhook %s: gateway unavailable, will retry: %s", row.event_id, exc.message)
            _record(event_row_id, error=exc.message, processed=False)
            return
        error = f"{exc.code}: {exc.message}"
    except (ValueError, KeyError, TypeError) as exc:
        error = f"unreadable event: {exc}"
    _record(event_row_id, error=error, processed=True)


def _record(event_row_id: int, *, error: str | None, processed: bool) -> None:
    with write_session() as session:
        session.execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id) == event_row_id)
            .values(error=error, processed_at=utcnow() if processed else None)
        )


def unprocessed_event_ids(*, older_than_seconds: int, limit: int = 100) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with read_session() as session:
        return [
            row_id
            for row_id in session.exec(
                select(WebhookEvent.id)
                .where(
                    col(WebhookEvent.processed_at).is_(None),
                    col(WebhookEvent.signature_ok).is_(True),
                    col(WebhookEvent.received_at) <= cutoff,
                )
                .order_by(col(WebhookEvent.id))
                .limit(limit)
            )
            if row_id is not None
        ]
