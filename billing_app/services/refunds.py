"""Refunds debit the credits they return: one `refund` ledger entry per Razorpay refund."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import EntryKind, Payment, PaymentOrder
from billing_app.money import format_paise
from billing_app.services import audit, ledger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefundApplied:
    refund_id: str
    debited_micros: int
    applied_now: bool


def refund_credits(*, order: PaymentOrder, refund_paise: int) -> int:
    """Credits returned by refunding `refund_paise` of the order (pro rata; a full
    refund returns exactly the credits granted)."""
    return order.credits_micros * refund_paise // order.amount_paise


def apply_refund(*, refund_id: str) -> RefundApplied | None:
    """Debit a processed Razorpay refund, once. Asks Razorpay about the refund rather
    than trusting the webhook; None while it is not processed yet.
    Raises NotFound for a payment we never credited, PaymentGatewayError."""
    refund = get_gateway().fetch_refund(refund_id)
    if refund.get("status") != "processed":
        return None
    with read_session() as session:
        row = session.exec(
            select(Payment, PaymentOrder)
            .join(PaymentOrder, col(PaymentOrder.id) == Payment.order_id)
            .where(col(Payment.razorpay_payment_id) == refund["payment_id"])
        ).first()
    if row is None:
        raise NotFound("No credited payment for this refund.")
    payment, order = row
    debit = refund_credits(order=order, refund_paise=int(refund["amount"]))
    try:
        with write_session() as session:
            ledger.post_entry(
                session,
                org_id=payment.org_id,
                kind=EntryKind.REFUND,
                amount_micros=-debit,
                description=f"Refund via Razorpay ({format_paise(int(refund['amount'])).removesuffix('.00')})",
                external_ref=refund_id,
                payment_id=payment.razorpay_payment_id,
            )
            audit.record(
                session,
                org_id=payment.org_id,
                action="refund.debited",
                subject=f"refund:{refund_id}",
                after={"payment_id": payment.razorpay_payment_id, "amount_micros": -debit},
            )
            session.execute(
                update(Payment)
                .where(col(Payment.id) == payment.id)
                .values(refunded_paise=col(Payment.refunded_paise) + int(refund["amount"]))
            )
    except IntegrityError:
        return RefundApplied(refund_id, debit, applied_now=False)
    return RefundApplied(refund_id, debit, applied_now=True)
