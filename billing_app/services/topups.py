"""Top-ups: the rules for an amount, and creating the Razorpay order to pay it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import OrderStatus, PaymentOrder
from billing_app.money import format_rupees, format_units
from billing_app.services import audit, promos, roles
from billing_app.services.accounts import Principal
from billing_app.services.addresses import require_address
from billing_app.services.roles import Permission
from billing_app.services.topup_rules import quote_topup

# An auto top-up's order (services/autotopup/debits.py) carries this receipt prefix: the one
# mark that tells its credit from a top-up the person paid in checkout.
AUTOTOPUP_RECEIPT_PREFIX = "autotopup_"


def topup_description(order: PaymentOrder) -> str:
    """The history row: what was paid. "Credit top-up via Razorpay (₹850)", "Auto top-up via
    Razorpay (₹500)" for a debit of the org's mandate, and with GST "Credit top-up via Razorpay
    (₹590 incl. ₹90 GST)" beside the ₹500 credited."""
    what = "Auto top-up" if order.receipt.startswith(AUTOTOPUP_RECEIPT_PREFIX) else "Credit top-up"
    paid = format_rupees(order.amount_paise)
    if order.gst_tax_paise:
        paid += f" incl. {format_rupees(order.gst_tax_paise)} GST"
    return f"{what} via Razorpay ({paid})"


@dataclass(frozen=True)
class CreatedOrder:
    order: PaymentOrder
    checkout: dict[str, Any]
    bonus_micros: int = 0  # the promo bonus quoted now, granted when the payment captures


def create_order(*, principal: Principal, amount: str | int | float, promo_code: str | None = None) -> CreatedOrder:
    """Create our order row, then Razorpay's order, and return Standard Checkout options.

    Checks, before any money can move: the amount (AmountInvalid), a billing address
    (AddressRequired), the promo code (PromoInvalid / PromoRedeemed). Razorpay failing
    raises PaymentGatewayError and leaves our row unpaid and without a Razorpay id.
    """
    roles.check(principal.org_id, Permission.PAY)
    quote_topup(amount=amount)  # the amount's own errors come before the address's
    address = require_address(org_id=principal.org_id)
    quote = quote_topup(amount=amount, org_id=principal.org_id)
    promo = (
        promos.validate_promo(
            org_id=principal.org_id, code=promo_code, credits_micros=quote.credits_micros, units=quote.units
        )
        if promo_code and promo_code.strip()
        else None
    )
    receipt = f"rcpt_{secrets.token_hex(12)}"
    with write_session() as session:
        order = PaymentOrder(
            org_id=principal.org_id,
            receipt=receipt,
            amount_units=quote.units,
            amount_paise=quote.amount_paise,
            currency="INR",
            credits_micros=quote.credits_micros,
            gst_taxable_paise=quote.gst.taxable_paise if quote.gst else None,
            gst_tax_paise=quote.gst.tax_paise if quote.gst else None,
            gst_rate_percent=quote.gst.tax.rate_percent if quote.gst else None,
            gst_place_of_supply=quote.gst.place_of_supply if quote.gst else None,
            promo_code_id=promo.promo_code_id if promo else None,
            promo_code=promo.code if promo else None,
            created_by_user_id=principal.user_id,
        )
        session.add(order)
        session.flush()
        audit.record(
            session,
            org_id=principal.org_id,
            action="order.created",
            subject=f"order:{order.id}",
            after={"amount_units": quote.units, "credits_micros": quote.credits_micros, "promo_code": order.promo_code}
            | ({"amount_paise": quote.amount_paise, "gst_paise": quote.tax_paise} if quote.gst else {}),
        )
    assert order.id is not None
    razorpay_order = get_gateway().create_order(
        amount_paise=order.amount_paise,
        currency=order.currency,
        receipt=receipt,
        notes={"org_id": str(principal.org_id), "order_ref": str(order.id)},
    )
    with write_session() as session:
        session.execute(
            update(PaymentOrder)
            .where(col(PaymentOrder.id) == order.id, col(PaymentOrder.status) == OrderStatus.CREATED)
            .values(razorpay_order_id=razorpay_order["id"], status=OrderStatus.PENDING)
        )
    order.razorpay_order_id = razorpay_order["id"]
    order.status = OrderStatus.PENDING
    settings = get_settings()
    checkout = {
        "key": settings.key_id,
        "amount": order.amount_paise,
        "currency": order.currency,
        "name": settings.seller_name,
        "description": f"Credit top-up ({format_units(quote.credits_micros, quote.currency)})",
        "order_id": order.razorpay_order_id,
        "prefill": {"name": address.name, "email": principal.email},
        "notes": {"org_id": str(principal.org_id)},
        "theme": {"color": "#3E63DD"},
    }
    return CreatedOrder(order=order, checkout=checkout, bonus_micros=promo.bonus_micros if promo else 0)


def get_order(*, razorpay_order_id: str, org_id: int | None = None) -> PaymentOrder:
    """The order behind a Razorpay order id; with `org_id`, only if it is that org's:
    another org's is NotFound too (never reveal that it exists)."""
    query = select(PaymentOrder).where(col(PaymentOrder.razorpay_order_id) == razorpay_order_id)
    if org_id is not None:
        query = query.where(col(PaymentOrder.org_id) == org_id)
    with read_session() as session:
        order = session.exec(query).first()
    if order is None:
        raise NotFound("No such order.")
    return order
