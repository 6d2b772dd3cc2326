"""The console's payments needing attention, under /admin/attention (staff only, 404 to
everyone else): top-up orders still unpaid after a while, with "check" (ask Razorpay, then
settle), and webhook deliveries that failed, with "process again". Every action takes the
staff member's `reason`, kept in the audit log. The rules are services/console/attention.py."""

from __future__ import annotations

from fastapi import Query
from pydantic import BaseModel, Field

from billing_app.api.admin.routing import staff_router
from billing_app.api.inputs import PathId, PathText, RequestBody
from billing_app.ist import iso_ist
from billing_app.services.console import attention
from billing_app.services.console.reasons import MAX_REASON_LENGTH

router = staff_router("/admin/attention")


class ReasonIn(RequestBody):
    reason: str = Field(max_length=MAX_REASON_LENGTH, description="why: kept in the audit log")


class UnpaidOrderOut(BaseModel):
    order_id: str
    org_id: int
    org_name: str
    amount_paise: int
    currency: str
    credits_micros: int
    promo_code: str | None
    created_at: str
    last_checked_at: str | None


class OrderCheckOut(BaseModel):
    order_id: str
    org_id: int
    status: str = Field(description="paid, pending or gateway_error")
    credited_now: bool
    payment_id: str | None
    balance_micros: int | None
    error: str | None


class OrdersCheckedOut(BaseModel):
    credited: int
    pending: int
    failed: int
    results: list[OrderCheckOut]


class FailedWebhookOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    problem: str = Field(description="signature, processing or unprocessed")
    error: str | None
    raw_body: str = Field(description="the stored bytes as text")
    raw_body_bytes: int
    signature: str | None
    received_at: str
    processed_at: str | None


class ReprocessedOut(BaseModel):
    id: int
    outcome: str = Field(description="processed, failed, retry_later, busy or signature_invalid")
    error: str | None


def check_out(result: attention.OrderCheck) -> OrderCheckOut:
    return OrderCheckOut(
        order_id=result.razorpay_order_id,
        org_id=result.org_id,
        status=result.status,
        credited_now=result.credited_now,
        payment_id=result.payment_id,
        balance_micros=result.balance_micros,
        error=result.error,
    )


def reprocessed_out(result: attention.Reprocessed) -> ReprocessedOut:
    return ReprocessedOut(id=result.id, outcome=result.outcome, error=result.error)


@router.get("/orders")
async def unpaid_orders() -> list[UnpaidOrderOut]:
    return [
        UnpaidOrderOut(
            order_id=order.razorpay_order_id,
            org_id=order.org_id,
            org_name=order.org_name,
            amount_paise=order.amount_paise,
            currency=order.currency,
            credits_micros=order.credits_micros,
            promo_code=order.promo_code,
            created_at=iso_ist(order.created_at),
            last_checked_at=iso_ist(order.last_checked_at) if order.last_checked_at else None,
        )
        for order in attention.unpaid_orders()
    ]


@router.post("/orders/check")  # calls Razorpay: on the thread pool (api/deps.py)
def check_all_orders(body: ReasonIn) -> OrdersCheckedOut:
    checked = attention.check_all_orders(reason=body.reason)
    return OrdersCheckedOut(
        credited=checked.credited,
        pending=checked.pending,
        failed=checked.failed,
        results=[check_out(result) for result in checked.results],
    )


@router.post("/orders/{order_id}/check")
def check_order(order_id: PathText, body: ReasonIn) -> OrderCheckOut:
    return check_out(attention.check_order(razorpay_order_id=order_id, reason=body.reason))


@router.get("/webhooks")
def failed_webhooks(
    problem: str | None = Query(default=None, description="signature, processing or unprocessed"),
) -> list[FailedWebhookOut]:
    return [
        FailedWebhookOut(
            id=event.id,
            event_id=event.event_id,
            event_type=event.event_type,
            problem=event.problem,
            error=event.error,
            raw_body=event.raw_body,
            raw_body_bytes=event.raw_body_bytes,
            signature=event.signature,
            received_at=iso_ist(event.received_at),
            processed_at=iso_ist(event.processed_at) if event.processed_at else None,
        )
        for event in attention.failed_webhooks(problem=problem)
    ]


@router.post("/webhooks/process")
def process_all_again(body: ReasonIn) -> list[ReprocessedOut]:
    return [reprocessed_out(result) for result in attention.process_all_again(reason=body.reason)]


@router.post("/webhooks/{event_row_id}/process")
def process_again(event_row_id: PathId, body: ReasonIn) -> ReprocessedOut:
    return reprocessed_out(attention.process_again(event_row_id=event_row_id, reason=body.reason))
