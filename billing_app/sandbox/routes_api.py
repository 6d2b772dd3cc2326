"""The Razorpay REST API (``/v1/...``): Basic auth, injected faults, JSON entities."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .entities import JSON, Event
from .errors import ApiError, auth_failed, fault_response
from .parsing import expansions, query, read_body
from .store import Store
from .webhooks import Dispatcher

Handler = Callable[[Request], Awaitable[JSON | tuple[JSON, list[Event]]]]


class ApiRoutes:
    def __init__(self, *, store: Store, dispatcher: Dispatcher, key_id: str, key_secret: str) -> None:
        self.section = dispatcher.section  # the records' section (shared.py); nothing in memory mode
        self.store = store
        self.dispatcher = dispatcher
        self.key_id = key_id
        self.key_secret = key_secret

    def routes(self) -> list[Route]:
        def api(path: str, handler: Handler, method: str) -> Route:
            return Route(path, self._guard(handler), methods=[method])

        return [
            api("/v1/orders", self.create_order, "POST"),
            api("/v1/orders", self.list_orders, "GET"),
            api("/v1/orders/{order_id}", self.fetch_order, "GET"),
            api("/v1/orders/{order_id}/payments", self.order_payments, "GET"),
            api("/v1/payments", self.list_payments, "GET"),
            api("/v1/payments/create/recurring", self.create_recurring, "POST"),
            api("/v1/payments/{payment_id}", self.fetch_payment, "GET"),
            api("/v1/payments/{payment_id}/card", self.payment_card, "GET"),
            api("/v1/payments/{payment_id}/capture", self.capture, "POST"),
            api("/v1/payments/{payment_id}/refund", self.refund, "POST"),
            api("/v1/payments/{payment_id}/refunds", self.payment_refunds, "GET"),
            api(
                "/v1/payments/{payment_id}/refunds/{refund_id}",
                self.payment_refund,
                "GET",
            ),
            api("/v1/refunds", self.create_refund, "POST"),
            api("/v1/refunds", self.list_refunds, "GET"),
            api("/v1/refunds/{refund_id}", self.fetch_refund, "GET"),
            api("/v1/customers", self.create_customer, "POST"),
            api("/v1/customers", self.list_customers, "GET"),
            api("/v1/customers/{customer_id}", self.fetch_customer, "GET"),
            api("/v1/customers/{customer_id}/tokens", self.list_tokens, "GET"),
            api("/v1/customers/{customer_id}/tokens/{token_id}", self.fetch_token, "GET"),
            api("/v1/customers/{customer_id}/tokens/{token_id}", self.delete_token, "DELETE"),
            api("/v1/customers/{customer_id}/tokens/{token_id}/cancel", self.cancel_token, "PUT"),
        ]

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        ok_user = hmac.compare_digest(user.encode(), self.key_id.encode())
        ok_password = hmac.compare_digest(password.encode(), self.key_secret.encode())
        return ok_user and ok_password

    def _guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Slow answers and injected 5xx first (as a gateway would), then auth."""

        async def endpoint(request: Request) -> Response:
            async with self.section():
                slow = self.store.faults.api_slow_seconds
            if slow > 0:
                await asyncio.sleep(slow)  # outside the section: other requests go on meanwhile
            async with self.section():
                return await answer(request)

        async def answer(request: Request) -> Response:
            faults = self.store.faults
            failure = faults.take_api_error()
            if failure is not None and not faults.api_error_after_commit:
                return fault_response(failure)
            if not self._authorised(request):
                return auth_failed().response()
            self.dispatcher.record(self.store.run_due())  # what the clock made due meanwhile
            try:
                result = await handler(request)
            except ApiError as exc:
                response: Response = exc.response()
            else:
                if isinstance(result, tuple):
                    result, events = result
                    self.dispatcher.record(events)
                response = JSONResponse(result)
            return fault_response(failure) if failure is not None else response

        return endpoint

    # orders ------------------------------------------------------------------
    async def create_order(self, request: Request) -> JSON:
        return self.store.create_order(await read_body(request))

    async def list_orders(self, request: Request) -> JSON:
        return self.store.list_orders(query(request))

    async def fetch_order(self, request: Request) -> JSON:
        return self.store.get_order(request.path_params["order_id"])

    async def order_payments(self, request: Request) -> JSON:
        return self.store.order_payments(request.path_params["order_id"], expansions(request))

    # payments ----------------------------------------------------------------
    async def list_payments(self, request: Request) -> JSON:
        return self.store.list_payments(query(request), expansions(request))

    async def fetch_payment(self, request: Request) -> JSON:
        return self.store.get_payment(request.path_params["payment_id"], expansions(request))

    async def payment_card(self, request: Request) -> JSON:
        return self.store.payment_card(request.path_params["payment_id"])

    async def capture(self, request: Request) -> tuple[JSON, list[Event]]:
        return self.store.capture(request.path_params["payment_id"], await read_body(request))

    async def refund(self, request: Request) -> tuple[JSON, list[Event]]:
        key = request.headers.get("x-refund-idempotency")
        return self.store.refund(request.path_params["payment_id"], await read_body(request), key)

    async def create_refund(self, request: Request) -> tuple[JSON, list[Event]]:
        body: dict[str, Any] = await read_body(request)
        payment_id = body.pop("payment_id", None)
        if not payment_id:
            raise ApiError("payment_id: is required.", field="payment_id")
        key = request.headers.get("x-refund-idempotency")
        return self.store.refund(str(payment_id), body, key)

    async def payment_refunds(self, request: Request) -> JSON:
        return self.store.payment_refunds(request.path_params["payment_id"], query(request))

    async def payment_refund(self, request: Request) -> JSON:
        params = request.path_params
        return self.store.payment_refund(params["payment_id"], params["refund_id"])

    # refunds -----------------------------------------------------------------
    async def list_refunds(self, request: Request) -> JSON:
        return self.store.list_refunds(query(request))

    async def fetch_refund(self, request: Request) -> JSON:
        return self.store.get_refund(request.path_params["refund_id"])

    # customers and tokens (recurring.py) ----------------------------------------
    async def create_customer(self, request: Request) -> JSON:
        return self.store.create_customer(await read_body(request))

    async def list_customers(self, request: Request) -> JSON:
        return self.store.list_customers(query(request))

    async def fetch_customer(self, request: Request) -> JSON:
        return self.store.get_customer(request.path_params["customer_id"])

    async def list_tokens(self, request: Request) -> JSON:
        return self.store.list_tokens(request.path_params["customer_id"])

    async def fetch_token(self, request: Request) -> JSON:
        params = request.path_params
        return self.store.get_token(params["customer_id"], params["token_id"])

    async def delete_token(self, request: Request) -> tuple[JSON, list[Event]]:
        params = request.path_params
        return self.store.delete_token(params["customer_id"], params["token_id"])

    async def cancel_token(self, request: Request) -> tuple[JSON, list[Event]]:
        params = request.path_params
        return self.store.cancel_token(params["customer_id"], params["token_id"])

    async def create_recurring(self, request: Request) -> tuple[JSON, list[Event]]:
        return self.store.create_recurring(await read_body(request))
