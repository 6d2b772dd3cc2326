"""Refunds started from the console: one Razorpay refund per staff request, however often it
is started, and the credits come off only when Razorpay reports it processed.

A request is a `refund_request` row made before anything is sent; its idempotency key
(X-Refund-Idempotency) is the row's, so sending it again (a retry after a timeout, a second
click) makes Razorpay answer the first refund instead of making another. Starting the same
refund again (the same payment and amount, or "all that remains" again) within REPEAT_WINDOW
of an earlier request that did not fail is taken as the same request: a double click or two
staff members acting on one complaint send one refund. The check and the insert run under a
lock on the payment row (SQLite: the single writer), so two at once see each other.

Nothing is debited here: Razorpay's `refund.processed` webhook goes through the existing path
(services/refunds.apply_refund), which debits each Razorpay refund once. The customer is told
by email (the outbox, `refund_started`) when Razorpay accepts the refund."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, NegativeBalance, NotFound, PaymentGatewayError, RefundRefused
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import (
    EmailKind,
    EmailOutbox,
    EntryKind,
    LedgerEntry,
    Org,
    Payment,
    PaymentOrder,
    RefundRequest,
    RefundStatus,
)
from billing_app.models.types import utcnow
from billing_app.money import format_money, format_paise
from billing_app.services import audit, roles, staff
from billing_app.services.actors import current_actor
from billing_app.services.console.reasons import required
from billing_app.services.refunds import refund_credits
from billing_app.services.roles import Permission

REPEAT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class RefundView:
    """A staff refund request as the console shows it."""

    id: int
    org_id: int
    payment_id: str  # Razorpay's pay_…
    amount_paise: int
    credits_micros: int  # what refund.processed debits
    currency: str  # of the credits
    reason: str
    status: str  # started | sent | failed
    razorpay_refund_id: str | None
    error: str | None
    debited: bool  # refund.processed arrived and the credits came off
    created_at: datetime
    sent_at: datetime | None
    repeated: bool = False  # this call answered an earlier request for the same refund


def start_refund(
    *, payment_id: str, amount_paise: int | None, reason: str, confirm_negative: bool = False
) -> RefundView:
    """Refund `amount_paise` of a captured payment (None: all that remains) through Razorpay.
    NotFound for a payment we never credited; InvalidRequest for a blank reason or a
    non-positive amount; NegativeBalance when the credits it takes back would leave the org's
    balance below zero and `confirm_negative` is not set; RefundRefused with Razorpay's words
    when Razorpay refuses (more than remains, already fully refunded); PaymentGatewayError when
    Razorpay cannot be reached (starting it again sends the same request)."""
    staff.require()
    reason = required(reason)
    if amount_paise is not None and amount_paise <= 0:
        raise InvalidRequest("Enter an amount above zero, or none to refund all that remains.", field="amount")
    with read_session() as session:
        found = session.execute(
            sa.select(Payment, PaymentOrder)
            .join(PaymentOrder, col(PaymentOrder.id) == Payment.order_id)
            .where(col(Payment.razorpay_payment_id) == payment_id)
        ).first()
    if found is None:
        raise NotFound("No credited payment has this id.")
    payment, order = found
    roles.check(payment.org_id, Permission.PAY)
    full = amount_paise is None
    if amount_paise is None:
        remote = get_gateway().fetch_payment(payment_id)
        amount_paise = int(remote.get("amount", 0)) - int(remote.get("amount_refunded", 0))
    request_id, repeated = _claim(
        payment=payment,
        order=order,
        amount_paise=amount_paise,
        full=full,
        reason=reason,
        confirm_negative=confirm_negative,
    )
    return _send(request_id, repeated=repeated)


def _claim(
    *, payment: Payment, order: PaymentOrder, amount_paise: int, full: bool, reason: str, confirm_negative: bool
) -> tuple[int, bool]:
    """The request row for this refund: an earlier one for the same refund, or a new one."""
    with write_session() as session:
        # Serialise refunds of one payment (PostgreSQL; SQLite has one writer already).
        session.execute(sa.select(col(Payment.id)).where(col(Payment.id) == payment.id).with_for_update(key_share=True))
        same = sa.and_(
            col(RefundRequest.payment_id) == payment.id,
            col(RefundRequest.status) != RefundStatus.FAILED,
            col(RefundRequest.created_at) >= utcnow() - REPEAT_WINDOW,
            col(RefundRequest.full_refund).is_(full),
        )
        if not full:
            same = sa.and_(same, col(RefundRequest.amount_paise) == amount_paise)
        earlier = session.execute(
            sa.select(col(RefundRequest.id)).where(same).order_by(col(RefundRequest.id).desc()).limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            return int(earlier), True
        if amount_paise <= 0:
            raise RefundRefused("Razorpay refused the refund: The payment has been fully refunded already")
        credits = refund_credits(order=order, refund_paise=amount_paise, refunded_before=payment.refunded_paise)
        org = session.get(Org, payment.org_id)
        assert org is not None
        if not confirm_negative and org.balance_micros - credits < 0:
            raise NegativeBalance(
                f"Refunding {format_paise(amount_paise)} takes back {format_money(credits, org.currency)} of credit "
                f"and would leave {org.name} at {format_money(org.balance_micros - credits, org.currency)}. "
                "Send confirm_negative: true to refund anyway.",
                balance_micros=org.balance_micros,
                balance_after_micros=org.balance_micros - credits,
            )
        row = RefundRequest(
            payment_id=payment.id or 0,
            org_id=payment.org_id,
            amount_paise=amount_paise,
            full_refund=full,
            credits_micros=credits,
            reason=reason,
            idempotency_key=f"console-refund-{uuid.uuid4().hex}",
            requested_by_user_id=current_actor().user_id,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.record(
            session,
            org_id=payment.org_id,
            action="refund.requested",
            subject=f"refund_request:{row.id}",
            after={
                "payment_id": payment.razorpay_payment_id,
                "amount_paise": amount_paise,
                "credits_micros": credits,
                "reason": reason,
                "confirm_negative": confirm_negative,
            },
        )
        return row.id, False


def _send(request_id: int, *, repeated: bool) -> RefundView:
    """Send the request to Razorpay with its own idempotency key, unless it was sent already."""
    with read_session() as session:
        row = session.get(RefundRequest, request_id)
        payment = session.get(Payment, row.payment_id) if row else None
    assert row is not None and payment is not None
    if row.status != RefundStatus.STARTED:
        return get_refund(request_id=request_id, repeated=repeated)
    try:
        refund = get_gateway().refund(
            payment_id=payment.razorpay_payment_id,
            amount_paise=row.amount_paise,
            idempotency_key=row.idempotency_key,
            notes={"refund_request": str(request_id)},
        )
    except PaymentGatewayError as exc:
        if exc.details.get("gateway_status") != "bad_request":
            raise  # not answered: the row stays `started`; starting it again resends the same key
        _mark_failed(row, exc.message)
        raise RefundRefused(exc.message, payment_id=payment.razorpay_payment_id) from exc
    _mark_sent(row, payment, str(refund["id"]))
    return get_refund(request_id=request_id, repeated=repeated)


def _mark_failed(row: RefundRequest, error: str) -> None:
    with write_session() as session:
        failed = session.execute(
            sa.update(RefundRequest)
            .where(col(RefundRequest.id) == row.id, col(RefundRequest.status) == RefundStatus.STARTED)
            .values(status=RefundStatus.FAILED, error=error[:500])
            .returning(col(RefundRequest.id))
        ).first()
        if failed is not None:
            audit.record(
                session,
                org_id=row.org_id,
                action="refund.refused",
                subject=f"refund_request:{row.id}",
                after={"amount_paise": row.amount_paise, "error": error[:500], "reason": row.reason},
            )


def _mark_sent(row: RefundRequest, payment: Payment, refund_id: str) -> None:
    """Record Razorpay's refund id; the one call that moves the row to `sent` queues the email."""
    with write_session() as session:
        sent = session.execute(
            sa.update(RefundRequest)
            .where(col(RefundRequest.id) == row.id, col(RefundRequest.status) == RefundStatus.STARTED)
            .values(status=RefundStatus.SENT, razorpay_refund_id=refund_id, sent_at=utcnow())
            .returning(col(RefundRequest.id))
        ).first()
        if sent is None:
            return
        audit.record(
            session,
            org_id=row.org_id,
            action="refund.sent",
            subject=f"refund:{refund_id}",
            after={"payment_id": payment.razorpay_payment_id, "amount_paise": row.amount_paise, "reason": row.reason},
        )
        _queue_email(session, row, payment, refund_id)


def _queue_email(session: Session, row: RefundRequest, payment: Payment, refund_id: str) -> None:
    """The customer's email (to the org's owner): which payment, how much, and the credits that
    come off. The staff member's reason is internal and is not in it."""
    org = session.get(Org, row.org_id)
    payload = {
        "payment_id": payment.razorpay_payment_id,
        "refund_id": refund_id,
        "amount_paise": row.amount_paise,
        "payment_amount_paise": payment.amount_paise,
        "credits_micros": row.credits_micros,
        "currency": org.currency if org else "INR",
    }
    session.add(EmailOutbox(org_id=row.org_id, kind=EmailKind.REFUND_STARTED, payload=json.dumps(payload)))


def get_refund(*, request_id: int, repeated: bool = False) -> RefundView:
    staff.require()
    with read_session() as session:
        found = session.execute(
            sa.select(RefundRequest, col(Payment.razorpay_payment_id), col(Org.currency))
            .join(Payment, col(Payment.id) == RefundRequest.payment_id)
            .join(Org, col(Org.id) == RefundRequest.org_id)
            .where(col(RefundRequest.id) == request_id)
        ).first()
        if found is None:
            raise NotFound("No such refund request.")
        row, razorpay_payment_id, currency = found
        debited = row.razorpay_refund_id is not None and (
            session.execute(
                sa.select(col(LedgerEntry.id)).where(
                    col(LedgerEntry.kind) == EntryKind.REFUND, col(LedgerEntry.external_ref) == row.razorpay_refund_id
                )
            ).first()
            is not None
        )
    assert row.id is not None
    return RefundView(
        id=row.id,
        org_id=row.org_id,
        payment_id=razorpay_payment_id,
        amount_paise=row.amount_paise,
        credits_micros=row.credits_micros,
        currency=currency,
        reason=row.reason,
        status=row.status,
        razorpay_refund_id=row.razorpay_refund_id,
        error=row.error,
        debited=debited,
        created_at=row.created_at,
        sent_at=row.sent_at,
        repeated=repeated,
    )
