"""Top-ups: the rules for an amount, and creating the Razorpay order to pay it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import AmountInvalid, NotFound
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import OrderStatus, PaymentOrder
from billing_app.money import AmountError, format_paise, format_units, parse_whole_units, topup_paise, units_to_micros
from billing_app.services.accounts import Principal
from billing_app.services.addresses import require_address


@dataclass(frozen=True)
class TopupRules:
    currency: str
    min_units: int
    max_units: int
    presets: tuple[int, ...]
    usd_inr_rate_paise: int


def topup_rules() -> TopupRules:
    settings = get_settings()
    if settings.billing_currency == "USD":
        return TopupRules(
            "USD",
            settings.usd_topup_min_units,
            settings.usd_topup_max_units,
            settings.usd_topup_presets,
            settings.usd_inr_rate_paise,
        )
    return TopupRules(
        "INR",
        settings.topup_min_units,
        settings.topup_max_units,
        settings.inr_topup_presets,
        settings.usd_inr_rate_paise,
    )


@dataclass(frozen=True)
class Quote:
    units: int
    currency: str
    amount_paise: int  # what Razorpay charges, in INR paise
    credits_micros: int


def quote_topup(*, amount: str | int) -> Quote:
    """Validate a top-up amount (whole units, within the limits) and price it.

    Raises AmountInvalid with a message a person can act on."""
    rules = topup_rules()
    limits = f"between {format_units(units_to_micros(rules.min_units), rules.currency)} and " + format_units(
        units_to_micros(rules.max_units), rules.currency
    )
    try:
        units = parse_whole_units(amount)
    except AmountError as exc:
        raise AmountInvalid(f"Enter a whole amount {limits}.", field="amount") from exc
    if not rules.min_units <= units <= rules.max_units:
        raise AmountInvalid(f"Top-ups must be {limits}.", field="amount")
    return Quote(
        units=units,
        currency=rules.currency,
        amount_paise=topup_paise(units, rules.currency, rules.usd_inr_rate_paise),
        credits_micros=units_to_micros(units),
    )


def topup_description(order: PaymentOrder) -> str:
    """The history row: "Credit top-up via Razorpay (₹850)"."""
    return f"Credit top-up via Razorpay ({format_paise(order.amount_paise).removesuffix('.00')})"


@dataclass(frozen=True)
class CreatedOrder:
    order: PaymentOrder
    checkout: dict[str, Any]


def create_order(*, principal: Principal, amount: str | int, promo_code: str | None = None) -> CreatedOrder:
    """Create our order row, then Razorpay's order, and return Standard Checkout options.

    Checks, before any money can move: the amount (AmountInvalid), a billing address
    (AddressRequired), the promo code (PromoInvalid / PromoRedeemed). Razorpay failing
    raises PaymentGatewayError and leaves our row unpaid and without a Razorpay id.
    """
    quote = quote_topup(amount=amount)
    address = require_address(org_id=principal.org_id)
    receipt = f"rcpt_{secrets.token_hex(12)}"
    with write_session() as session:
        order = PaymentOrder(
            org_id=principal.org_id,
            receipt=receipt,
            amount_units=quote.units,
            amount_paise=quote.amount_paise,
            currency="INR",
            credits_micros=quote.credits_micros,
            created_by_user_id=principal.user_id,
        )
        session.add(order)
        session.flush()
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
    return CreatedOrder(order=order, checkout=checkout)


def get_order(*, org_id: int, razorpay_order_id: str) -> PaymentOrder:
    """One of this org's orders; another org's is NotFound (never reveal it exists)."""
    with read_session() as session:
        order = session.exec(
            select(PaymentOrder).where(
                col(PaymentOrder.razorpay_order_id) == razorpay_order_id, col(PaymentOrder.org_id) == org_id
            )
        ).first()
    if order is None:
        raise NotFound("No such order.")
    return order
