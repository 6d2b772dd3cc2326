"""Payment receipts: every captured payment has one. It is not a GST tax invoice; a payment
credited while GST was on has one of those too, and its receipt names it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from billing_app import gst
from billing_app.config import get_settings
from billing_app.db import read_session
from billing_app.errors import NotFound
from billing_app.models import EntryKind, LedgerEntry, Payment, PaymentOrder, User
from billing_app.services import gst_invoices, roles
from billing_app.services.addresses import get_address
from billing_app.services.roles import Permission

NOT_AN_INVOICE = "This is a payment receipt, not a GST tax invoice."


@dataclass(frozen=True)
class Receipt:
    receipt_number: str
    payment_id: str
    order_id: str
    amount_paise: int
    currency: str  # what was paid in (INR)
    credit_currency: str
    credits_micros: int
    bonus_micros: int
    method: str
    method_detail: str
    paid_at: datetime
    payer: dict[str, str]
    billing_address: dict[str, str | None]
    seller: dict[str, str]
    refunded_paise: int
    tax_invoice: str | None = None  # the serial of the payment's GST tax invoice, if it has one

    @property
    def note(self) -> str:
        if self.tax_invoice:
            return f"{NOT_AN_INVOICE} Its tax invoice is {self.tax_invoice}."
        return NOT_AN_INVOICE


def get_receipt(*, org_id: int, payment_id: str) -> Receipt:
    """The receipt of one of this org's payments; another org's is NotFound."""
    roles.check(org_id, Permission.PAY)
    with read_session() as session:
        row = session.exec(
            select(Payment, PaymentOrder)
            .join(PaymentOrder, col(PaymentOrder.id) == Payment.order_id)
            .where(col(Payment.razorpay_payment_id) == payment_id, col(Payment.org_id) == org_id)
        ).first()
        if row is None:
            raise NotFound("No such payment.")
        payment, order = row
        bonus = session.exec(
            select(LedgerEntry.amount_micros).where(
                col(LedgerEntry.kind) == EntryKind.PROMO, col(LedgerEntry.external_ref) == payment_id
            )
        ).first()
        payer_user = session.get(User, order.created_by_user_id) if order.created_by_user_id else None
    address = get_address(org_id=org_id)
    settings = get_settings()
    return Receipt(
        receipt_number=payment.receipt_number,
        payment_id=payment.razorpay_payment_id,
        order_id=order.razorpay_order_id or "",
        amount_paise=payment.amount_paise,
        currency=payment.currency,
        credit_currency=settings.billing_currency,
        credits_micros=order.credits_micros,
        bonus_micros=bonus or 0,
        method=payment.method,
        method_detail=payment.method_detail,
        paid_at=payment.captured_at,
        payer={
            "name": address.name if address else (payer_user.name if payer_user else ""),
            "email": payment.email or (payer_user.email if payer_user else ""),
            "contact": payment.contact,
        },
        billing_address={
            "name": address.name if address else "",
            "line1": address.line1 if address else "",
            "line2": address.line2 if address else "",
            "city": address.city if address else "",
            "state": gst.state_name(address.state_code) if address else "",
            "state_code": address.state_code if address else "",
            "pin": address.pin if address else "",
            "gstin": address.gstin if address else None,
        },
        seller={
            "name": settings.seller_name,
            "address": settings.seller_address,
            "gstin": settings.seller_gstin,
            "state_code": settings.seller_state_code,
        },
        refunded_paise=payment.refunded_paise,
        tax_invoice=gst_invoices.invoice_serial_for_payment(org_id=org_id, payment_id=payment_id),
    )
