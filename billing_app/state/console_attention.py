"""Payments needing attention: unpaid orders (ask Razorpay, settle) and webhook deliveries
that failed (process again). Every action takes the reason typed above the lists."""

from __future__ import annotations

import reflex as rx

from billing_app.errors import BillingAppError
from billing_app.rows.console_lists import UnpaidLine, WebhookLine, unpaid_line, webhook_line
from billing_app.services.console import attention
from billing_app.services.console.attention import OrderCheck, Reprocessed
from billing_app.state.session import call_service, current_staff

OUTCOMES = {
    "processed": "processed",
    "failed": "processed, with an error",
    "retry_later": "Razorpay did not answer: left for the reconciler",
    "busy": "another worker is processing it",
    "signature_invalid": "its signature still does not match the webhook secret",
}


def check_text(result: OrderCheck) -> str:
    if result.status == "paid":
        how = "credited now" if result.credited_now else "credited before"
        return f"{result.razorpay_order_id}: paid ({result.payment_id}), {how}."
    if result.status == "gateway_error":
        return f"{result.razorpay_order_id}: Razorpay did not answer ({result.error})."
    return f"{result.razorpay_order_id}: no captured payment at Razorpay yet."


def reprocessed_text(result: Reprocessed) -> str:
    error = f" ({result.error})" if result.error and result.outcome != "processed" else ""
    return f"Delivery {result.id}: {OUTCOMES.get(result.outcome, result.outcome)}{error}."


class ConsoleAttentionState(rx.State):
    orders: list[UnpaidLine] = []
    webhooks: list[WebhookLine] = []
    reason: str = ""
    loading: bool = True
    error: str = ""
    results: list[str] = []  # what the last action found, a line each

    @rx.event
    def set_reason(self, value: str) -> None:
        self.reason = value

    async def _reload(self) -> None:
        self.orders = [unpaid_line(o) for o in await call_service(attention.unpaid_orders)]
        self.webhooks = [webhook_line(w) for w in await call_service(attention.failed_webhooks)]

    @rx.event
    async def load(self) -> None:
        self.error, self.results = "", []
        if await current_staff(self) is None:
            return
        await self._reload()
        self.loading = False

    async def _act(self, service, to_lines, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if await current_staff(self) is None:
            return
        self.error, self.results = "", []
        try:
            done = await call_service(service, reason=self.reason, **kwargs)
        except BillingAppError as exc:
            self.error = exc.message
            return
        self.results = to_lines(done) or ["Nothing needed it."]
        await self._reload()

    @rx.event
    async def check_order(self, order_id: str) -> None:
        await self._act(attention.check_order, lambda r: [check_text(r)], razorpay_order_id=order_id)

    @rx.event
    async def check_all(self) -> None:
        await self._act(attention.check_all_orders, lambda done: [check_text(r) for r in done.results])

    @rx.event
    async def process_again(self, event_row_id: int) -> None:
        await self._act(attention.process_again, lambda r: [reprocessed_text(r)], event_row_id=event_row_id)

    @rx.event
    async def process_all(self) -> None:
        await self._act(attention.process_all_again, lambda done: [reprocessed_text(r) for r in done])
