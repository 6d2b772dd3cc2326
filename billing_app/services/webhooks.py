"""Razorpay webhooks: verify the raw body, store the event once, process it later.

`receive` is all the HTTP request waits for (verify + one insert), so Razorpay gets its
2xx fast; `process` runs right after in the background (on the worker that received it)
and again from the reconciler for anything left unprocessed (a crash between the two
loses nothing).

Whoever processes an event first claims it: a lease named `webhook_event:<row id>`
(services/job_leases.py), so two workers never process one event at the same time. The
claim is let go when processing ends; one left by a worker that died mid-way expires
after EVENT_CLAIM_SECONDS and the reconciler takes the event over. Processing twice
(a worker that died after crediting but before marking the event processed) is harmless:
settlement credits each payment once, whoever asks.
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
from billing_app.services import job_leases
from billing_app.services.autotopup import debits, mandate
from billing_app.services.refunds import apply_refund
from billing_app.services.settlement import settle_order

log = logging.getLogger(__name__)

SETTLING_EVENTS = {"payment.captured", "order.paid", "payment.authorized"}
REFUND_EVENTS = {"refund.processed"}
FAILED_EVENTS = {"payment.failed"}  # only an auto top-up debit's attempt acts on it
TOKEN_EVENTS = {"token.confirmed", "token.rejected", "token.cancelled", "token.paused"}
# A claim outlives any one processing (a settle asks Razorpay a few times, each call with a
# timeout); a claim left by a dead worker is taken over after this.
EVENT_CLAIM_SECONDS = 120.0


@dataclass(frozen=True)
class Received:
    event_row_id: int | None  # None for a duplicate delivery
    duplicate: bool


def receive(*, raw_body: bytes, signature: str | None, event_id: str | None) -> Received:
    """Store a correctly signed delivery once per event id, its body as the exact bytes
    received and its signature beside it (so it can be verified again from the row). A
    wrong signature is kept for the record (under an id of its own, so it can never
    shadow the real event) and raises SignatureInvalid."""
    ok = webhook_signature_ok(
        webhook_secret=get_settings().webhook_secret.get_secret_value(), raw_body=raw_body, signature=signature
    )
    claimed_id = (event_id or "").strip()[:64] or "sha256:" + hashlib.sha256(raw_body).hexdigest()[:57]
    try:
        event_type = str(json.loads(raw_body).get("event", ""))[:64]
    except (ValueError, AttributeError):  # UnicodeDecodeError is a ValueError
        event_type = ""
    row = WebhookEvent(
        event_id=claimed_id if ok else f"invalid:{uuid.uuid4().hex}",
        event_type=event_type,
        raw_body=raw_body,
        signature=(signature or "")[:128] or None,
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
        if mandate.owns_order(order_id):  # a mandate's authorisation: bind its token, credit nothing
            mandate.authorisation_reported(razorpay_order_id=order_id)
        else:
            settle_order(razorpay_order_id=order_id)
    elif kind in REFUND_EVENTS:
        refund = (payload.get("refund") or {}).get("entity") or {}
        payment = (payload.get("payment") or {}).get("entity") or {}
        if payment.get("order_id") and mandate.owns_order(payment["order_id"]):
            return  # the mandate's authorisation payment, refunded: it was never credited
        apply_refund(refund_id=refund["id"])
    elif kind in FAILED_EVENTS:
        payment = (payload.get("payment") or {}).get("entity") or {}
        if payment.get("order_id") and payment.get("id"):
            debits.payment_failed(razorpay_order_id=payment["order_id"], razorpay_payment_id=payment["id"])
    elif kind in TOKEN_EVENTS:
        token = (payload.get("token") or {}).get("entity") or {}
        mandate.token_reported(event=str(kind), token=token)


@dataclass(frozen=True)
class Claim:
    """This worker's lease on one event: `webhook_event:<row id>`, held by a holder id of its own."""

    name: str
    holder: str


def claim_name(event_row_id: int) -> str:
    return f"webhook_event:{event_row_id}"


def process(*, event_row_id: int, claim_seconds: float = EVENT_CLAIM_SECONDS) -> bool:
    """Process one stored event under a claim; the outcome (or the error) is written on
    its row, in the transaction that lets the claim go. Gateway failures leave it
    unprocessed for the reconciler to retry. False (nothing done) when it is processed
    already, or another worker holds its claim."""
    claim = Claim(claim_name(event_row_id), job_leases.claim_holder())
    if job_leases.acquire(claim.name, seconds=claim_seconds, holder=claim.holder) is None:
        return False  # another worker is on it (or died on it: the claim expires)
    released = False
    try:
        with read_session() as session:
            row = session.get(WebhookEvent, event_row_id)
        if row is None or row.processed_at is not None or not row.signature_ok:
            return False
        _process_claimed(row, claim)
        released = True
        return True
    finally:
        if not released:
            job_leases.release(claim.name, holder=claim.holder)


def _process_claimed(row: WebhookEvent, claim: Claim) -> None:
    assert row.id is not None
    error: str | None = None
    try:
        _handle(json.loads(row.raw_body))
    except BillingAppError as exc:
        if exc.code == "payment_gateway_error":
            log.warning("webhook %s: gateway unavailable, will retry: %s", row.event_id, exc.message)
            _record(row.id, claim, error=exc.message, processed=False)
            return
        error = f"{exc.code}: {exc.message}"
    except (ValueError, KeyError, TypeError) as exc:
        error = f"unreadable event: {exc}"
    _record(row.id, claim, error=error, processed=True)


def _record(event_row_id: int, claim: Claim, *, error: str | None, processed: bool) -> None:
    """Write the outcome and let the claim go, in one transaction. The outcome is not
    written over an event finished meanwhile (a claim that expired while this worker was
    still at it, taken over by another)."""
    with write_session() as session:
        session.execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id) == event_row_id, col(WebhookEvent.processed_at).is_(None))
            .values(error=error, processed_at=utcnow() if processed else None)
        )
        job_leases.release_in(session, claim.name, holder=claim.holder)


def unprocessed_event_ids(*, older_than_seconds: float, limit: int = 100) -> list[int]:
    """Events received at least `older_than_seconds` ago and not processed yet: for the
    reconciler (the receiving worker normally finishes an event within a moment)."""
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
