"""Promo checks before paying, and payment receipts after."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import PathText, RequestBody, TopupAmount
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.services import promos, receipts

router = APIRouter(prefix="/me/billing", tags=["promo codes and receipts"], responses=errors(400, 401, 404, 422, 429))


class PromoCheckIn(RequestBody):
    code: str = Field(max_length=100)
    amount: TopupAmount


class PromoCheckOut(BaseModel):
    code: str
    bonus_micros: int
    summary: str


class ReceiptOut(BaseModel):
    receipt_number: str
    payment_id: str
    order_id: str
    amount_paise: int
    currency: str
    credits_micros: int
    bonus_micros: int
    credit_currency: str
    method: str
    method_detail: str
    paid_at: str
    payer: dict[str, str]
    billing_address: dict[str, str | None]
    seller: dict[str, str]
    refunded_paise: int
    note: str = receipts.NOT_AN_INVOICE
    tax_invoice: str | None = None  # the number of the payment's GST tax invoice, when it has one


@router.post("/promo/check")
def check_promo(body: PromoCheckIn, principal: CurrentPrincipal) -> PromoCheckOut:
    quote = promos.check_promo(org_id=principal.org_id, user_id=principal.user_id, code=body.code, amount=body.amount)
    return PromoCheckOut(code=quote.code, bonus_micros=quote.bonus_micros, summary=quote.summary)


@router.get("/receipts/{payment_id}")
def get_receipt(payment_id: Annotated[PathText, Path(max_length=40)], principal: CurrentPrincipal) -> ReceiptOut:
    receipt = receipts.get_receipt(org_id=principal.org_id, payment_id=payment_id)
    fields = {name: getattr(receipt, name) for name in ReceiptOut.model_fields if hasattr(receipt, name)}
    return ReceiptOut(**fields | {"paid_at": iso_ist(receipt.paid_at)})
