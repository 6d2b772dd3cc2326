"""The reconciler: asks Razorpay about orders left unpaid for a while, and finishes
webhook events that were stored but not processed (crash, gateway outage).

With several workers the loop runs in one of them at a time (the `reconciler` lease,
jobs/every.py), and inside a pass every item is claimed before it is touched, so two
passes at once (a lost lease, the CLI next to the app) still never work on one item
together: a webhook event through its `webhook_event:<id>` lease (services/webhooks.py),
an order through one conditional UPDATE of its `last_checked_at` — the pass that moves it
polls Razorpay for it; any other finds it checked and skips it for the interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from billing_app.config import get_settings
from billing_app.errors import BillingAppError
from billing_app.jobs.every import every
from billing_app.services import job_leases, stale_orders, webhooks
from billing_app.services.settlement import settle_order

log = logging.getLogger(__name__)

LEASE_NAME = "reconciler"
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
    for order_id in stale_orders.stale_order_ids(older_than_seconds=age):
        if not stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=age):
            continue  # another reconciler has it, or it was paid meanwhile
        report.checked += 1
        try:
            if settle_order(razorpay_order_id=order_id).credited_now:
                report.credited += 1
        except BillingAppError as exc:
            report.errors += 1
            log.warning("reconcile %s: %s", order_id, exc.message)
    job_leases.purge_expired(older_than_seconds=PURGE_LEASES_AFTER_SECONDS)
    job_leases.stamp(job_leases.RECONCILER_LAST_RUN)  # for the console's overview
    return report


def reconcile_pass() -> ReconcileReport:
    report = reconcile_once()
    if report.credited or report.errors:
        log.info("reconciler: %s", report)
    return report


async def reconciler_loop(*, interval: float | None = None, lease_seconds: float | None = None) -> None:
    """Lifespan task: one pass every RECONCILE_INTERVAL_SECONDS, off the event loop, in
    one worker at a time."""
    seconds = get_settings().reconcile_interval_seconds if interval is None else interval
    await every(seconds, reconcile_pass, lease=LEASE_NAME, lease_seconds=lease_seconds)
