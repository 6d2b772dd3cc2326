"""The reconciler: asks Razorpay about orders left unpaid for a while, and finishes
webhook events that were stored but not processed (crash, gateway outage).

With several workers the loop runs in one of them at a time (the `reconciler` lease,
jobs/leased.py), and inside a pass every item is claimed before it is touched, so two
passes at once (a lost lease, the CLI next to the app) still never work on one item
together: a webhook event through its `webhook_event:<id>` lease (services/webhooks.py),
an order through one conditional UPDATE of its `last_checked_at` — the pass that moves it
polls Razorpay for it; any other finds it checked and skips it for the interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import BillingAppError
from billing_app.jobs.leased import run_leased
from billing_app.models import OrderStatus, PaymentOrder
from billing_app.models.types import utcnow
from billing_app.services import job_leases, webhooks
from billing_app.services.settlement import settle_order

log = logging.getLogger(__name__)

LEASE_NAME = "reconciler"
# Orders older than this are no longer polled (Razorpay auto-refunds uncaptured
# payments after a few days; a late capture still arrives by webhook).
GIVE_UP_AFTER = timedelta(days=7)
# An order claimed (polled) this recently is not claimed again, even by `reconcile
# --older-than 0`: longer than one poll of Razorpay takes (a few calls, each with a timeout).
ORDER_CLAIM_SECONDS = 30
# Events the receiving worker has not finished after this long are the reconciler's.
EVENT_GRACE_SECONDS = 30
# Leases expired this long ago are deleted (per-item claims whose holder died after the work).
PURGE_LEASES_AFTER_SECONDS = 3600


@dataclass
class ReconcileReport:
    checked: int = 0
    credited: int = 0
    events_processed: int = 0
    errors: int = 0


def stale_order_ids(*, older_than_seconds: int, limit: int = 100) -> list[str]:
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    with read_session() as session:
        rows = session.exec(
            select(PaymentOrder.razorpay_order_id)
            .where(
                col(PaymentOrder.status) == OrderStatus.PENDING,
                col(PaymentOrder.razorpay_order_id).is_not(None),
                col(PaymentOrder.created_at) <= cutoff,
                col(PaymentOrder.created_at) > now - GIVE_UP_AFTER,
                or_(col(PaymentOrder.last_checked_at).is_(None), col(PaymentOrder.last_checked_at) <= cutoff),
            )
            .order_by(col(PaymentOrder.created_at))
            .limit(limit)
        )
        return [order_id for order_id in rows if order_id]


def claim_order(*, razorpay_order_id: str, older_than_seconds: int) -> bool:
    """Take a stale order for this pass: one conditional UPDATE moves its last_checked_at
    to now, only while it is pending and was last checked before the cutoff (and at least
    ORDER_CLAIM_SECONDS ago). Of two reconcilers at once, one gets it."""
    with write_session() as session:
        now = job_leases.db_now(session)
        cutoff = now - timedelta(seconds=max(older_than_seconds, ORDER_CLAIM_SECONDS))
        won = session.execute(
            update(PaymentOrder)
            .where(
                col(PaymentOrder.razorpay_order_id) == razorpay_order_id,
                col(PaymentOrder.status) == OrderStatus.PENDING,
                or_(col(PaymentOrder.last_checked_at).is_(None), col(PaymentOrder.last_checked_at) <= cutoff),
            )
            .values(last_checked_at=now)
            .returning(col(PaymentOrder.id))
        ).first()
    return won is not None


def reconcile_once(
    *, older_than_seconds: int | None = None, event_claim_seconds: float = webhooks.EVENT_CLAIM_SECONDS
) -> ReconcileReport:
    """One pass. Safe to run anywhere, any number of times, in any number of processes
    at once: each event and each order is claimed first, and settlement is idempotent."""
    age = get_settings().reconcile_after_seconds if older_than_seconds is None else older_than_seconds
    report = ReconcileReport()
    for event_row_id in webhooks.unprocessed_event_ids(older_than_seconds=min(age, EVENT_GRACE_SECONDS)):
        try:
            if webhooks.process(event_row_id=event_row_id, claim_seconds=event_claim_seconds):
                report.events_processed += 1
        except Exception:
            report.errors += 1
            log.exception("reconcile: webhook event %d failed; retried next pass", event_row_id)
    for order_id in stale_order_ids(older_than_seconds=age):
        if not claim_order(razorpay_order_id=order_id, older_than_seconds=age):
            continue  # another reconciler has it, or it was paid meanwhile
        report.checked += 1
        try:
            if settle_order(razorpay_order_id=order_id).credited_now:
                report.credited += 1
        except BillingAppError as exc:
            report.errors += 1
            log.warning("reconcile %s: %s", order_id, exc.message)
    job_leases.purge_expired(older_than_seconds=PURGE_LEASES_AFTER_SECONDS)
    return report


def reconcile_pass() -> ReconcileReport:
    report = reconcile_once()
    if report.credited or report.errors:
        log.info("reconciler: %s", report)
    return report


async def reconciler_loop(*, interval: float | None = None, lease_seconds: float | None = None) -> None:
    """Lifespan task: one pass every RECONCILE_INTERVAL_SECONDS, off the event loop, in
    one worker at a time."""
    every = get_settings().reconcile_interval_seconds if interval is None else interval
    await run_leased(LEASE_NAME, reconcile_pass, interval=every, lease_seconds=lease_seconds)
