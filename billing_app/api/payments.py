"""Top-ups: create a Razorpay order, and the checkout callback that verifies it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import PathText, RequestBody, TopupAmount
from billing_app.api.schema import errors
from billing_app.errors import SignatureInvalid
from billing_app.services import settlement, topups

router = APIRouter(prefix="/me/billing/orders", tags=["top-ups"], responses=errors(400, 401, 404, 422, 502))


class OrderIn(RequestBody):
    amount: TopupAmount
    promo_code: str | None = Field(default=None, max_length=40)


class OrderOut(BaseModel):
    order_id: str
    amount_paise: int
    currency: str
    key_id: str
    credits_micros: int
    bonus_micros: int = 0
    checkout: dict[str, Any]


class VerifyIn(RequestBody):
    razorpay_payment_id: str = Field(max_length=40, json_schema_extra={"examples": ["pay_29QQoUBi66xm2f"]})
    razorpay_order_id: str = Field(max_length=40, json_schema_extra={"examples": ["order_9A33XWu170gUtm"]})
    razorpay_signature: str = Field(max_length=128, description="hex HMAC-SHA256 of `order_id|payment_id`")


class VerifyOut(BaseModel):
    status: str
    balance_micros: int
    payment_id: str | None


@router.post("", status_code=201)
def create_order(body: OrderIn, principal: CurrentPrincipal) -> OrderOut:
    created = topups.create_order(principal=principal, amount=body.amount, promo_code=body.promo_code)
    order = created.order
    assert order.razorpay_order_id is not None
    return OrderOut(
        order_id=order.razorpay_order_id,
        amount_paise=order.amount_paise,
        currency=order.currency,
        key_id=created.checkout["key"],
        credits_micros=order.credits_micros,
        bonus_micros=created.bonus_micros,
        checkout=created.checkout,
    )


@router.post("/{order_id}/verify")
def verify(
    order_id: Annotated[PathText, Path(max_length=40)], body: VerifyIn, principal: CurrentPrincipal
) -> VerifyOut:
    if body.razorpay_order_id != order_id:
        raise SignatureInvalid("razorpay_order_id does not match the order in the path.")
    result = settlement.verify_checkout(
        org_id=principal.org_id,
        razorpay_order_id=order_id,
        razorpay_payment_id=body.razorpay_payment_id,
        razorpay_signature=body.razorpay_signature,
    )
    return VerifyOut(status=result.status, balance_micros=result.balance_micros, payment_id=result.payment_id)
