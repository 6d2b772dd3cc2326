"""The auto top-up loop: every minute, in one worker at a time (the `autotopup` lease), look at
each org with auto top-up on (notify a debit when its rule says so), create the Razorpay orders
that failed before, charge the debits that are due and follow those being charged; and ask
Razorpay about mandates whose webhooks may have been lost (services/autotopup/mandate.py).

Every step claims its item on its own (services/autotopup/debits.py), so two passes at once (a
lost lease, the CLI beside the app) never notify or charge twice. `clock` is what tests move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing_app.jobs.every import every
from billing_app.models.types import utcnow
from billing_app.services.autotopup import debits
from billing_app.services.autotopup import mandate as mandates

log = logging.getLogger(__name__)

LEASE_NAME = "autotopup"
INTERVAL_SECONDS = 60


@dataclass
class AutoTopupReport:
    notified: int = 0
    orders_placed: int = 0
    charged: int = 0
    settled: int = 0
    withdrawn: int = 0  # notified, then auto top-up was turned off: never charged
    mandates_followed: int = 0  # asked of Razorpay in case their webhooks were lost
    errors: int = 0


def autotopup_once(*, now: datetime | None = None) -> AutoTopupReport:
    """One pass at `now` (default: the real clock). Safe to run anywhere, any number of times."""
    now = now or utcnow()
    report = AutoTopupReport()
    for org_id in debits.enabled_org_ids():
        try:
            if debits.evaluate(org_id=org_id, now=now).debit is not None:
                report.notified += 1
        except Exception:
            report.errors += 1
            log.exception("auto top-up: evaluating org %d failed; next pass", org_id)
    steps: list[tuple[str, Callable[[], int]]] = [
        ("mandates_followed", lambda: mandates.follow_unheard(now=now)),
        ("orders_placed", lambda: debits.place_missing_orders(now=now)),
        ("settled", lambda: debits.follow(now=now)),
        ("withdrawn", lambda: debits.drop_unwanted(now=now)),
        ("charged", lambda: debits.charge_due(now=now)),
    ]
    for field, step in steps:
        try:
            setattr(report, field, step())
        except Exception:
            report.errors += 1
            log.exception("auto top-up: %s failed; next pass", field)
    return report


def autotopup_pass(clock: Callable[[], datetime] = utcnow) -> AutoTopupReport:
    report = autotopup_once(now=clock())
    if (
        report.notified
        or report.charged
        or report.settled
        or report.withdrawn
        or report.errors
        or report.mandates_followed
    ):
        log.info("auto top-up: %s", report)
    return report


async def autotopup_loop(*, interval: float = INTERVAL_SECONDS, lease_seconds: float | None = None) -> None:
    """Lifespan task: one pass a minute, off the event loop, in one worker at a time."""
    await every(interval, autotopup_pass, lease=LEASE_NAME, lease_seconds=lease_seconds)
