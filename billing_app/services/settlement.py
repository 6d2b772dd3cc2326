"""Crediting a paid order exactly once, whoever reports it.

The checkout callback, the webhook and the reconciler all end in `settle_order`. It
trusts nobody's word: it asks Razorpay for the order's payments and credits only a
payment that is captured for the order's exact amount and currency (capturing an
authorized one first). The credit is one transaction guarded by a conditional
`UPDATE payment_order SET status='paid' WHERE status != 'paid'` plus unique keys on the
payment id and on (kind, external_ref) of the ledger entry, so any number of
concurrent or repeated calls, in any order and from any process, credit once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import PaymentGatewayError, SignatureInvalid
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.ist import to_ist
from billing_app.models import EntryKind, OrderStatus, Payment, PaymentOrder
from billing_app.models.types import utcnow
from billing_app.money import format_units
from billing_app.services import audit, ledger, promos, roles
from billing_app.services.gst_issue import issue_invoice_in
from billing_app.services.roles import Permission
from billing_app.services.topups import get_order, topup_description

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settlement:
    status: str  # "paid" (credited now or before) or "pending"
    payment_id: str | None
    balance_micros: int
    credited_now: bool = False


def _paid_payment_id(order_id: int) -> str | None:
    with read_session() as session:
        return session.exec(select(Payment.razorpay_payment_id).where(col(Payment.order_id) == order_id)).first()


def _fits(order: PaymentOrder, payment: dict[str, Any]) -> bool:
    return payment.get("amount") == order.amount_paise and payment.get("currency") == order.currency


def _captured_payment(order: PaymentOrder) -> dict[str, Any] | None:
    """Razorpay's word on the order: its captured payment for the exact amount, if any.
    An authorized payment that Razorpay left uncaptured is captured here."""
    gateway = get_gateway()
    assert order.razorpay_order_id is not None
    for payment in gateway.order_payments(order.razorpay_order_id):
        if not _fits(order, payment):
            continue
        if payment.get("status") == "authorized":
            try:
                payment = gateway.capture(
                    payment_id=payment["id"], amount_paise=order.amount_paise, currency=order.currency
                )
            except PaymentGatewayError:
                # Another path may have captured it meanwhile: ask again below.
                payment = next(
                    (p for p in gateway.order_payments(order.razorpay_order_id) if p.get("id") == payment["id"]),
                    payment,
                )
        if payment.get("captured") and payment.get("status") in ("captured", "refunded"):
            if payment.get("method") == "card" and not payment.get("card"):
                payment = gateway.fetch_payment(payment["id"], expand_card=True)  # network and last 4
            return payment
    return None


def method_detail(payment: dict[str, Any]) -> str:
    method = payment.get("method")
    if method == "upi":
        return str(payment.get("vpa") or (payment.get("upi") or {}).get("vpa") or "")
    if method == "card":
        card = payment.get("card") or {}
        return f"{card.get('network', 'Card')} •••• {card.get('last4', '')}".strip()
    if method == "netbanking":
        return str(payment.get("bank") or "")
    if method == "wallet":
        return str(payment.get("wallet") or "")
    return ""


def receipt_number(order: PaymentOrder) -> str:
    """'BA2627-000042': the IST financial year and our order number (≤ 16 characters)."""
    moment = to_ist(utcnow())
    start = moment.year if moment.month >= 4 else moment.year - 1
    return f"BA{start % 100:02d}{(start + 1) % 100:02d}-{order.id:06d}"


def _credit(order: PaymentOrder, payment: dict[str, Any]) -> bool:
    """The one transaction that marks the order paid, credits it and, for an order priced with
    GST, issues its tax invoice (numbered in this transaction). False if another path already
    did."""
    now = utcnow()
    try:
        with write_session() as session:
            won = session.execute(
                update(PaymentOrder)
                .where(col(PaymentOrder.id) == order.id, col(PaymentOrder.status) != OrderStatus.PAID)
                .values(status=OrderStatus.PAID, paid_at=now)
                .returning(col(PaymentOrder.id))
            ).first()
            if won is None:
                return False
            assert order.id is not None
            session.add(
                Payment(
                    razorpay_payment_id=payment["id"],
                    order_id=order.id,
                    org_id=order.org_id,
                    amount_paise=payment["amount"],
                    currency=payment["currency"],
                    method=str(payment.get("method") or ""),
                    method_detail=method_detail(payment)[:120],
                    email=str(payment.get("email") or "")[:254],
                    contact=str(payment.get("contact") or "")[:30],
                    receipt_number=receipt_number(order),
                    captured_at=now,
                )
            )
            bonus = (
                promos.redeem_in(
                    session,
                    promo_code_id=order.promo_code_id,
                    org_id=order.org_id,
                    payment_order_id=order.id,
                    credits_micros=order.credits_micros,
                )
                if order.promo_code_id is not None
                else 0
            )
            description = topup_description(order)
            if order.promo_code and not bonus:
                description += f"; promo {order.promo_code} not applied (already used or fully redeemed)"
            ledger.post_entry(
                session,
                org_id=order.org_id,
                kind=EntryKind.CHECKOUT,
                amount_micros=order.credits_micros,
                description=description,
                external_ref=payment["id"],
                payment_id=payment["id"],
                user_id=order.created_by_user_id,
            )
            if bonus:
                currency = get_settings().billing_currency
                ledger.post_entry(
                    session,
                    org_id=order.org_id,
                    kind=EntryKind.PROMO,
                    amount_micros=bonus,
                    description=f"Promo bonus {order.promo_code} ({format_units(bonus, currency)})",
                    external_ref=payment["id"],
                    payment_id=payment["id"],
                    user_id=order.created_by_user_id,
                )
            audit.record(
                session,
                org_id=order.org_id,
                action="payment.credited",
                subject=f"payment:{payment['id']}",
                after={
                    "order_id": order.razorpay_order_id,
                    "credits_micros": order.credits_micros,
                    "bonus_micros": bonus,
                },
            )
            # Last: the series row's lock is then held only for the end of the transaction.
            invoice = issue_invoice_in(session, order=order, razorpay_payment_id=payment["id"], issued_at=now)
            if invoice is not None:
                audit.record(
                    session,
                    org_id=order.org_id,
                    action="gst.invoice.issued",
                    subject=f"invoice:{invoice.serial}",
                    after={"payment_id": payment["id"], "total_paise": invoice.total_paise},
                )
        return True
    except IntegrityError:
        # The payment id or its ledger entry exists: credited by a concurrent path.
        log.info("payment %s already credited", payment.get("id"))
        return False


def settle_order(*, razorpay_order_id: str) -> Settlement:
    """Credit the order if Razorpay says it is paid. Idempotent and safe to call
    concurrently from any number of places. Raises NotFound, PaymentGatewayError."""
    order = get_order(razorpay_order_id=razorpay_order_id)
    if order.status != OrderStatus.PAID:
        payment = _captured_payment(order)
        if payment is None:
            with write_session() as session:
                session.execute(
                    update(PaymentOrder).where(col(PaymentOrder.id) == order.id).values(last_checked_at=utcnow())
                )
            return Settlement("pending", None, ledger.get_balance(org_id=order.org_id))
        credited = _credit(order, payment)
        return Settlement("paid", payment["id"], ledger.get_balance(org_id=order.org_id), credited_now=credited)
    assert order.id is not None
    return Settlement("paid", _paid_payment_id(order.id), ledger.get_balance(org_id=order.org_id))


def verify_checkout(
    *, org_id: int, razorpay_order_id: str, razorpay_payment_id: str, razorpay_signature: str
) -> Settlement:
    """The checkout callback. The signature is checked against the order id from OUR
    database (another org's order is NotFound), then the order is settled from
    Razorpay's records, never from what the browser said. Raises SignatureInvalid."""
    roles.check(org_id, Permission.PAY)
    order = get_order(org_id=org_id, razorpay_order_id=razorpay_order_id)
    assert order.razorpay_order_id is not None
    if not get_gateway().payment_signature_ok(
        order_id=order.razorpay_order_id, payment_id=razorpay_payment_id, signature=razorpay_signature
    ):
        raise SignatureInvalid("The payment signature does not match this order.")
    return settle_order(razorpay_order_id=order.razorpay_order_id)
