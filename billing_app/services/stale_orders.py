"""Top-up orders left unpaid, for the reconciler (jobs/reconciler.py): which ones to ask
Razorpay about, and claiming one, so that of several reconcilers (workers, machines, the CLI)
only one polls an order in an interval."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.models import OrderStatus, PaymentOrder
from billing_app.models.types import utcnow
from billing_app.services import job_leases

# Orders older than this are no longer polled (Razorpay auto-refunds uncaptured
# payments after a few days; a late capture still arrives by webhook).
GIVE_UP_AFTER = timedelta(days=7)
# An order claimed (polled) this recently is not claimed again, even by `reconcile
# --older-than 0`: longer than one poll of Razorpay takes (a few calls, each with a timeout).
ORDER_CLAIM_SECONDS = 30


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
