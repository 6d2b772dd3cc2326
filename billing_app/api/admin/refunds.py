"""Refunds from the console: POST /admin/payments/{payment_id}/refunds
`{amount?, reason, confirm_negative?}`, `amount` in rupees (the payment's currency; paise as
decimals, e.g. 199.50), none for all that remains. The credits come off when Razorpay's
refund.processed arrives (services/console/refunds.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from billing_app.api.admin.routing import staff_router
from billing_app.api.deps import StaffPrincipal
from billing_app.api.inputs import PathText, RequestBody
from billing_app.ist import iso_ist
from billing_app.models.types import MAX_BIGINT
from billing_app.money import PAISE_PER_RUPEE
from billing_app.services.console import refunds
from billing_app.services.console.reasons import MAX_REASON_LENGTH

router = staff_router("/admin")


def _to_paise(value: object) -> object:
    """Rupees (a number or a numeric string, at most two decimals) to whole paise."""
    if value is None or isinstance(value, bool):
        return value if value is None else "not a number"
    try:
        paise = Decimal(str(value)) * PAISE_PER_RUPEE
    except InvalidOperation:
        raise ValueError("must be an amount in rupees, e.g. 200 or 199.50") from None
    if not paise.is_finite() or paise != paise.to_integral_value() or not 0 < paise <= MAX_BIGINT:
        raise ValueError("must be an amount in rupees above zero with at most two decimals")
    return int(paise)


Rupees = Annotated[int | None, BeforeValidator(_to_paise)]


class RefundIn(RequestBody):
    amount: Rupees = Field(default=None, description="rupees; absent or null: all that remains")
    reason: str = Field(max_length=MAX_REASON_LENGTH)
    confirm_negative: bool = False


class RefundOut(BaseModel):
    id: int
    org_id: int
    payment_id: str
    amount_paise: int
    credits_micros: int = Field(description="what comes off the balance when Razorpay processes it")
    currency: str
    reason: str
    status: str = Field(description="started | sent | failed")
    refund_id: str | None = Field(description="Razorpay's rfnd_…")
    error: str | None
    debited: bool
    created_at: str
    sent_at: str | None
    repeated: bool = Field(description="true: an earlier request for the same refund answered")


@router.post("/payments/{payment_id}/refunds", status_code=201)
def start_refund(payment_id: PathText, body: RefundIn, _: StaffPrincipal) -> RefundOut:
    """400 refund_refused with Razorpay's words (more than remains, ...); 409 negative_balance
    without confirm_negative when the balance would go below zero."""
    view = refunds.start_refund(
        payment_id=payment_id, amount_paise=body.amount, reason=body.reason, confirm_negative=body.confirm_negative
    )
    return RefundOut(
        id=view.id,
        org_id=view.org_id,
        payment_id=view.payment_id,
        amount_paise=view.amount_paise,
        credits_micros=view.credits_micros,
        currency=view.currency,
        reason=view.reason,
        status=view.status,
        refund_id=view.razorpay_refund_id,
        error=view.error,
        debited=view.debited,
        created_at=iso_ist(view.created_at),
        sent_at=iso_ist(view.sent_at) if view.sent_at else None,
        repeated=view.repeated,
    )
