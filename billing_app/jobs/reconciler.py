"""The reconciler: asks Razorpay about orders left unpaid for a while, and finishes
webhook events that were stored but not processed (crash, gateway outage)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session
from billing_app.errors import BillingAppError
from billing_app.models import OrderStatus, PaymentOrder
from billing_app.models.types import utcnow
from billing_app.services import webhooks
from billing_app.services.settlement import settle_order

log = logging.getLogger(__name__)

# Orders older than this are no longer polled (Razorpay auto-refunds uncaptured
# payments after a few days; a late capture still arrives by webhook).
GIVE_UP_AFTER = timedelta(days=7)


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


def reconcile_once(*, older_than_seconds: int | None = None) -> ReconcileReport:
    """One pass. Safe to run anywhere, any number of times (settlement is idempotent)."""
    age = get_settings().reconcile_after_seconds if older_than_seconds is None else older_than_seconds
    report = ReconcileReport()
    for event_row_id in webhooks.unprocessed_event_ids(older_than_seconds=min(age, 30)):
        webhooks.process(event_row_id=event_row_id)
        report.events_processed += 1
    for order_id in stale_order_ids(older_than_seconds=age):
        report.checked += 1
        try:
            if settle_order(razorpay_order_id=order_id).credited_now:
                report.credited += 1
        except BillingAppError as exc:
            report.errors += 1
            log.warning("reconcile %s: %s", order_id, exc.message)
    return report


async def reconciler_loop() -> None:
    """Lifespan task: one pass every RECONCILE_INTERVAL_SECONDS, off the event loop."""
    interval = get_settings().reconcile_interval_seconds
    while True:
        try:
            report = await asyncio.to_thread(reconcile_once)
            if report.credited or report.errors:
                log.info("reconciler: %s", report)
        except Exception:
            log.exception("reconciler pass failed")
        await asyncio.sleep(interval)
