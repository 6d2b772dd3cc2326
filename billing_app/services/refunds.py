"""Refunds debit the credits they return: one `refund` ledger entry per Razorpay refund.

A bank that takes back an auto top-up's debit after it was captured shows up the same way: a
full refund Razorpay makes itself, its notes `{"reason": "debit_reversed"}`. It is debited
here like any refund (same once-only keys), says so in the history, and marks the debit
reversed in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.integrations.razorpay_gateway import get_gateway, notes_dict
from billing_app.models import AutoTopupDebit, DebitStatus, EntryKind, Payment, PaymentOrder
from billing_app.models.types import utcnow
from billing_app.money import format_rupees
from billing_app.services import audit, ledger
from billing_app.services.gst_issue import issue_credit_note_in

log = logging.getLogger(__name__)

# The note Razorpay puts on the refund it makes when a bank reverses a captured debit.
DEBIT_REVERSED = "debit_reversed"


@dataclass(frozen=True)
class RefundApplied:
    refund_id: str
    debited_micros: int
    applied_now: bool


def refund_credits(*, order: PaymentOrder, refund_paise: int, refunded_before: int = 0) -> int:
    """Credits returned by refunding `refund_paise` of the order after `refunded_before` paise
    were refunded already: pro rata, rounded down *cumulatively*, so refunds adding up to the
    payment return exactly the credits granted, however it was split (with GST on top, ₹200 of
    ₹590 is not a whole number of micros)."""
    paid, credits = order.amount_paise, order.credits_micros
    return credits * (refunded_before + refund_paise) // paid - credits * refunded_before // paid


def apply_refund(*, refund_id: str) -> RefundApplied | None:
    """Debit a processed Razorpay refund, once, and for a payment with a tax invoice issue its
    credit note in the same transaction. Asks Razorpay about the refund rather than trusting
    the webhook; None while it is not processed yet.
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
    amount = int(refund["amount"])
    debit = refund_credits(order=order, refund_paise=amount, refunded_before=payment.refunded_paise)
    reversed_debit = notes_dict(refund.get("notes")).get("reason") == DEBIT_REVERSED
    rupees = format_rupees(int(refund["amount"]))
    description = (
        f"Auto top-up reversed by your bank ({rupees})" if reversed_debit else f"Refund via Razorpay ({rupees})"
    )
    try:
        with write_session() as session:
            # What was refunded before this one, read by the update that adds it: two refunds
            # of one payment applied at once each see the other's share, or none of it.
            after = session.execute(
                update(Payment)
                .where(col(Payment.id) == payment.id)
                .values(refunded_paise=col(Payment.refunded_paise) + amount)
                .returning(col(Payment.refunded_paise))
            ).scalar_one()
            debit = refund_credits(order=order, refund_paise=amount, refunded_before=int(after) - amount)
            ledger.post_entry(
                session,
                org_id=payment.org_id,
                kind=EntryKind.REFUND,
                amount_micros=-debit,
                description=description,
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
            if reversed_debit:
                session.execute(
                    update(AutoTopupDebit)
                    .where(
                        col(AutoTopupDebit.razorpay_order_id) == order.razorpay_order_id,
                        col(AutoTopupDebit.status).in_((DebitStatus.CAPTURED, DebitStatus.CHARGING)),
                    )
                    .values(status=DebitStatus.REVERSED, last_error="reversed by the bank after capture")
                )
            note = issue_credit_note_in(
                session,
                razorpay_payment_id=payment.razorpay_payment_id,
                razorpay_refund_id=refund_id,
                refund_paise=amount,
                issued_at=utcnow(),
                reason="Auto top-up reversed by the bank" if reversed_debit else "Refund",
            )
            if note is not None:
                audit.record(
                    session,
                    org_id=payment.org_id,
                    action="gst.credit_note.issued",
                    subject=f"credit_note:{note.serial}",
                    after={"refund_id": refund_id, "invoice_id": note.invoice_id, "total_paise": note.total_paise},
                )
    except IntegrityError:
        return RefundApplied(refund_id, debit, applied_now=False)
    return RefundApplied(refund_id, debit, applied_now=True)
