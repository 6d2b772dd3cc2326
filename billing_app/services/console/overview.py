"""The console's overview: the few figures that tell an operator whether the service is well,
in one call. Each figure names the list behind it (`list_key`), which the console links to, so
a number that looks wrong is one click from the rows that make it.

Choices (docs/console.md): a top-up is a credited payment (a `payment` row: we write one only
when we credit it), counted by when it was captured; a refund is a `refund` ledger entry (the
credits debited); an org is active when it used the API (usage_daily) or topped up in the last
30 IST days; an order needs attention when it is still pending more than 15 minutes after it was
made and young enough for the reconciler to still ask Razorpay about it (7 days: older ones were
abandoned, and a late capture still arrives by webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session
from billing_app.ist import ist_day_start
from billing_app.models import (
    EmailOutbox,
    EntryKind,
    LedgerEntry,
    OrderStatus,
    Org,
    OutboxStatus,
    Payment,
    PaymentOrder,
    UsageDaily,
    WebhookEvent,
)
from billing_app.models.types import utcnow
from billing_app.services import job_leases, staff, stale_orders, usage

UNPAID_AFTER = timedelta(minutes=15)
ACTIVE_DAYS = 30

# The lists behind the figures: the console's pages link each figure to one of these.
ORGS_IN_CREDIT = "orgs_in_credit"
TOPUPS = "topups"
REFUNDS = "refunds"
ACTIVE_ORGS = "active_orgs"
UNPAID_ORDERS = "unpaid_orders"
WEBHOOKS_FAILED = "webhooks_failed"
WEBHOOKS_UNPROCESSED = "webhooks_unprocessed"
RECONCILER = "reconciler"
OUTBOX_BACKLOG = "outbox_backlog"


@dataclass(frozen=True)
class Figure:
    """One figure: how many, and how much where it is money (`amount_micros` in credits,
    `amount_paise` in what Razorpay charged), or the oldest row's time where age matters."""

    list_key: str
    count: int
    amount_micros: int | None = None
    amount_paise: int | None = None
    oldest_at: datetime | None = None


@dataclass(frozen=True)
class ReconcilerRun:
    list_key: str
    last_run_at: datetime | None  # None: no pass has finished since this was recorded
    holder: str | None  # the process that ran it (hostname:pid:random)


@dataclass(frozen=True)
class Overview:
    as_of: datetime
    balances_owed: Figure  # Σ positive balances: credits we owe, and how many orgs hold them
    topups_today: Figure
    topups_30_days: Figure
    refunds_today: Figure
    refunds_30_days: Figure
    active_orgs: Figure
    unpaid_orders: Figure
    webhooks_failed: Figure
    webhooks_unprocessed: Figure
    reconciler: ReconcilerRun
    outbox_backlog: Figure


def overview(*, now: datetime | None = None) -> Overview:
    """Every figure of the overview (today and 30 days are IST calendar days, today included)."""
    staff.require()
    now = now or utcnow()
    today_start, month_start = window_start(TODAY, now), window_start(LAST_30_DAYS, now)
    with read_session() as session:
        owed = session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(col(Org.balance_micros)), 0)).where(
                *orgs_in_credit_filter()
            )
        ).one()

        def topups(since: datetime) -> Figure:
            count, paise = session.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(col(Payment.amount_paise)), 0)).where(
                    *topups_filter(since)
                )
            ).one()
            return Figure(TOPUPS, int(count), amount_paise=int(paise))

        def refunds(since: datetime) -> Figure:
            count, micros = session.execute(
                sa.select(sa.func.count(), sa.func.coalesce(-sa.func.sum(col(LedgerEntry.amount_micros)), 0)).where(
                    *refunds_filter(since)
                )
            ).one()
            return Figure(REFUNDS, int(count), amount_micros=int(micros))

        active = session.execute(sa.select(sa.func.count()).select_from(active_org_ids(now).subquery())).scalar_one()
        unpaid = session.execute(
            sa.select(sa.func.count(), sa.func.min(col(PaymentOrder.created_at))).where(*unpaid_orders_filter(now))
        ).one()
        failed = session.execute(sa.select(sa.func.count()).where(*webhooks_failed_filter())).scalar_one()
        waiting = session.execute(
            sa.select(sa.func.count(), sa.func.min(col(WebhookEvent.received_at))).where(*webhooks_waiting_filter())
        ).one()
        backlog = session.execute(
            sa.select(sa.func.count(), sa.func.min(col(EmailOutbox.created_at))).where(*outbox_backlog_filter())
        ).one()
        figures = Overview(
            as_of=now,
            balances_owed=Figure(ORGS_IN_CREDIT, int(owed[0]), amount_micros=int(owed[1])),
            topups_today=topups(today_start),
            topups_30_days=topups(month_start),
            refunds_today=refunds(today_start),
            refunds_30_days=refunds(month_start),
            active_orgs=Figure(ACTIVE_ORGS, int(active)),
            unpaid_orders=Figure(UNPAID_ORDERS, int(unpaid[0]), oldest_at=unpaid[1]),
            webhooks_failed=Figure(WEBHOOKS_FAILED, int(failed)),
            webhooks_unprocessed=Figure(WEBHOOKS_UNPROCESSED, int(waiting[0]), oldest_at=waiting[1]),
            reconciler=_reconciler(),
            outbox_backlog=Figure(OUTBOX_BACKLOG, int(backlog[0]), oldest_at=backlog[1]),
        )
    return figures


def _reconciler() -> ReconcilerRun:
    ran = job_leases.stamped(job_leases.RECONCILER_LAST_RUN)
    return ReconcilerRun(RECONCILER, ran[0] if ran else None, ran[1] if ran else None)


# The conditions behind the lists, for the pages that show their rows (services/console/lists.py
# counts with the same ones, so a figure and its list cannot disagree).

TODAY = "today"
LAST_30_DAYS = "30d"
WINDOWS = (TODAY, LAST_30_DAYS)


def window_start(window: str, now: datetime) -> datetime:
    """Where a money figure's window starts: today's IST midnight, or that of the first of the
    ACTIVE_DAYS IST days ending today."""
    first, last = usage.last_days(ACTIVE_DAYS, now=now)
    return ist_day_start(last if window == TODAY else first)


def orgs_in_credit_filter() -> list[sa.ColumnElement[bool]]:
    """Orgs we owe credits to (an org in debt does not lower what is owed)."""
    return [col(Org.balance_micros) > 0]


def topups_filter(since: datetime) -> list[sa.ColumnElement[bool]]:
    """Credited payments (a `payment` row is written only when one is credited) captured since."""
    return [col(Payment.captured_at) >= since]


def refunds_filter(since: datetime) -> list[sa.ColumnElement[bool]]:
    """`refund` ledger entries (the credits Razorpay's `refund.processed` took back) since."""
    return [col(LedgerEntry.kind) == EntryKind.REFUND, col(LedgerEntry.created_at) >= since]


def active_org_ids(now: datetime) -> sa.CompoundSelect:
    """The ids of orgs that used the API (a usage_daily row) or topped up in the last
    ACTIVE_DAYS IST days: money moved, sign-ins do not count."""
    first, _ = usage.last_days(ACTIVE_DAYS, now=now)
    used = sa.select(col(UsageDaily.org_id)).where(col(UsageDaily.day) >= first)
    paid = sa.select(col(Payment.org_id)).where(*topups_filter(window_start(LAST_30_DAYS, now)))
    return sa.union(used, paid)


def unpaid_orders_filter(now: datetime) -> list[sa.ColumnElement[bool]]:
    """Pending orders made more than UNPAID_AFTER ago that the reconciler still polls."""
    return [
        col(PaymentOrder.status) == OrderStatus.PENDING,
        col(PaymentOrder.created_at) <= now - UNPAID_AFTER,
        col(PaymentOrder.created_at) > now - stale_orders.GIVE_UP_AFTER,
    ]


def webhooks_failed_filter() -> list[sa.ColumnElement[bool]]:
    """Deliveries whose signature failed, or whose processing ended with an error."""
    return [sa.or_(col(WebhookEvent.signature_ok).is_(False), col(WebhookEvent.error).is_not(None))]


def webhooks_waiting_filter() -> list[sa.ColumnElement[bool]]:
    """Correctly signed deliveries not processed yet (a gateway outage leaves its error on the
    row and the event waiting: it counts in both lists)."""
    return [col(WebhookEvent.signature_ok).is_(True), col(WebhookEvent.processed_at).is_(None)]


def outbox_backlog_filter() -> list[sa.ColumnElement[bool]]:
    """Emails not sent yet: due or being sent (a sender's claim that outlived it included)."""
    return [col(EmailOutbox.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])]
