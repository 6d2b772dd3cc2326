"""The test-only control API (``/_control/...``, no auth).

Pay or fail an order without a browser, flip fault switches, inspect and redeliver
webhooks, move the clock, change a mandate's status, and reset everything between tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import ApiError
from .parsing import read_body
from .store import Store
from .webhooks import Dispatcher

Handler = Callable[[Request], Awaitable[JSONResponse]]


class ControlRoutes:
    def __init__(self, *, store: Store, dispatcher: Dispatcher, key_id: str) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.key_id = key_id

    def routes(self) -> list[Route]:
        def control(path: str, handler: Handler, method: str) -> Route:
            return Route(path, self._in_section(handler), methods=[method])

        return [
            control("/", self.info, "GET"),
            control("/orders/{order_id}/pay", self.pay, "POST"),
            control("/orders/{order_id}", self.order, "GET"),
            control("/tokens/{token_id}", self.token, "POST"),
            control("/payments/{payment_id}/reverse", self.reverse, "POST"),
            control("/clock", self.clock, "GET"),
            control("/clock", self.move_clock, "POST"),
            control("/faults", self.get_faults, "GET"),
            control("/faults", self.set_faults, "POST"),
            control("/faults", self.clear_faults, "DELETE"),
            control("/reset", self.reset, "POST"),
            control("/webhooks", self.webhooks, "GET"),
            # waits for deliveries, which take the section themselves
            Route("/webhooks/flush", self.flush, methods=["POST"]),
            control("/webhooks/{event_id}", self.webhook, "GET"),
            control("/webhooks/{event_id}/redeliver", self.redeliver, "POST"),
            # per process: each worker delivers to its own URL
            Route("/webhook_url", self.get_webhook_url, methods=["GET"]),
            Route("/webhook_url", self.set_webhook_url, methods=["POST"]),
        ]

    def _in_section(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> JSONResponse:
            async with self.dispatcher.section():
                return await handler(request)

        return endpoint

    async def info(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "key_id": self.key_id,
                "account_id": self.dispatcher.account_id,
                "webhook_url": self.dispatcher.webhook_url,
                "faults": self.store.faults.as_dict(),
                "clock": self.store.clock_state(),
            }
        )

    async def pay(self, request: Request) -> JSONResponse:
        """Success: ``{razorpay_payment_id, razorpay_order_id, razorpay_signature}``.

        A failed outcome is still a successful control call: 200 with checkout's
        ``payment.failed`` shape, ``{"error": {code, description, ..., metadata}}``.
        Refusals (unknown or already paid order, bad input) are 400 Razorpay errors.
        """
        result, events = self.store.pay(request.path_params["order_id"], await read_body(request))
        self.dispatcher.record(events)
        return JSONResponse(result)

    async def order(self, request: Request) -> JSONResponse:
        order_id = request.path_params["order_id"]
        return JSONResponse(
            {
                "order": self.store.get_order(order_id),
                "payments": self.store.order_payments(order_id)["items"],
                "notification": self.store.orders[order_id].notification,
            }
        )

    async def token(self, request: Request) -> JSONResponse:
        """``{status: confirmed|rejected|paused|cancelled, failure_reason?}``: the bank or the
        customer changing a mandate; fires the matching token.* webhook."""
        result, events = self.store.set_token_status(request.path_params["token_id"], await read_body(request))
        self.dispatcher.record(events)
        return JSONResponse(result)

    async def reverse(self, request: Request) -> JSONResponse:
        """A captured payment failing late, now: a full refund Razorpay makes itself."""
        result, events = self.store.reverse(request.path_params["payment_id"])
        self.dispatcher.record(events)
        return JSONResponse(result)

    async def clock(self, request: Request) -> JSONResponse:
        return JSONResponse(self.store.clock_state())

    async def move_clock(self, request: Request) -> JSONResponse:
        """``{advance: seconds}`` or ``{now: unix}``; then charges and reverses what fell due."""
        result, events = self.store.move_clock(await read_body(request))
        self.dispatcher.record(events)
        return JSONResponse(result)

    async def get_faults(self, request: Request) -> JSONResponse:
        return JSONResponse(self.store.faults.as_dict())

    async def set_faults(self, request: Request) -> JSONResponse:
        self.store.faults.update(await read_body(request))
        return JSONResponse(self.store.faults.as_dict())

    async def clear_faults(self, request: Request) -> JSONResponse:
        self.store.faults.reset()
        return JSONResponse(self.store.faults.as_dict())

    async def reset(self, request: Request) -> JSONResponse:
        self.store.reset()
        self.dispatcher.reset()
        await self.dispatcher.settle()
        return JSONResponse({"reset": True})

    async def webhooks(self, request: Request) -> JSONResponse:
        rows = self.dispatcher.summaries()
        for key, value in request.query_params.items():  # ?event=order.paid&delivered=true
            rows = [r for r in rows if str(r.get(key)).lower() == value.lower()]
        return JSONResponse({"entity": "collection", "count": len(rows), "items": rows})

    async def webhook(self, request: Request) -> JSONResponse:
        delivery = self.dispatcher.deliveries.get(request.path_params["event_id"])
        if delivery is None:
            raise ApiError("The id provided does not exist", field="event_id")
        return JSONResponse(delivery.detail())

    async def redeliver(self, request: Request) -> JSONResponse:
        delivery = self.dispatcher.redeliver(request.path_params["event_id"])
        return JSONResponse(delivery.summary())

    async def flush(self, request: Request) -> JSONResponse:
        body = await read_body(request)
        timeout = body.get("timeout", 10.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise ApiError("timeout: must be a number of seconds >= 0", field="timeout")
        flushed, pending = await self.dispatcher.flush(float(timeout))
        return JSONResponse({"flushed": flushed, "pending": pending})

    async def get_webhook_url(self, request: Request) -> JSONResponse:
        return JSONResponse({"url": self.dispatcher.webhook_url})

    async def set_webhook_url(self, request: Request) -> JSONResponse:
        url = (await read_body(request)).get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ApiError("url: must be an http(s) URL or null", field="url")
        self.dispatcher.webhook_url = url
        return JSONResponse({"url": url})
