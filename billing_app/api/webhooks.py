"""POST /webhooks/razorpay: 2xx for every correctly signed delivery (duplicates and
events we ignore included), 400 signature_invalid otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from billing_app.api.schema import errors
from billing_app.jobs import webhook_worker
from billing_app.services import webhooks

router = APIRouter(tags=["webhooks"], responses=errors(400))


class WebhookOut(BaseModel):
    status: str


@router.post("/webhooks/razorpay")
async def razorpay_webhook(request: Request) -> WebhookOut:
    raw_body = await request.body()  # the exact bytes Razorpay signed
    received = await run_in_threadpool(
        lambda: webhooks.receive(
            raw_body=raw_body,
            signature=request.headers.get("x-razorpay-signature"),
            event_id=request.headers.get("x-razorpay-event-id"),
        )
    )
    if received.event_row_id is None:
        return WebhookOut(status="duplicate")
    webhook_worker.submit(received.event_row_id)
    return WebhookOut(status="accepted")
