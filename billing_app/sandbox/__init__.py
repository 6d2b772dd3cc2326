"""A wire-compatible local Razorpay emulator (orders, payments, refunds, webhooks,
customers, tokens and recurring debits).

``create_sandbox_app`` returns a Starlette app serving Razorpay's routes at its
root (``/v1/orders`` ...), a checkout.js stub at ``/v1/checkout.js`` and a
test-only control API under ``/_control/``. The main app mounts it at
``/sandbox/razorpay``; ``python -m billing_app.sandbox`` serves it standalone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount

from .checkout import checkout_route
from .deliveries import sign
from .errors import ApiError, handle_api_error, handle_url_not_found
from .faults import Faults
from .payments import payment_signature
from .routes_api import ApiRoutes
from .routes_control import ControlRoutes
from .shared import SharedRecords, namespace_for
from .store import Store
from .webhooks import Dispatcher

__all__ = ["Faults", "Sandbox", "create_sandbox_app", "namespace_for", "payment_signature", "sign"]

DEFAULT_KEY_ID = "rzp_test_sandbox"
DEFAULT_KEY_SECRET = "sandbox_key_secret"
DEFAULT_WEBHOOK_SECRET = "sandbox_webhook_secret"


_CORS = Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])


@dataclass(frozen=True)
class Sandbox:
    """In-process handles, available as ``app.state.sandbox``."""

    store: Store
    dispatcher: Dispatcher


def create_sandbox_app(
    *,
    key_id: str,
    key_secret: str,
    webhook_secret: str,
    webhook_url: str | None,
    account_id: str = "acc_Sandbox0000001",
    checkout_callback_base: str = "",
    webhook_backoff_base: float = 1.0,
    webhook_max_attempts: int = 8,
    webhook_timeout: float = 5.0,
    max_amount: int = 50_000_000,
    shared_redis_url: str | None = None,
    shared_namespace: str = "billing_app:sandbox",
) -> Starlette:
    """Build one emulator with its own in-memory state.

    ``webhook_url`` None records events without sending them. Failed deliveries
    are retried after ``webhook_backoff_base`` × 1, 2, 4 … seconds, at most
    ``webhook_max_attempts`` times. ``checkout_callback_base``, when set, is the
    sandbox URL checkout.js calls instead of the one derived from its own src.
    ``max_amount`` is the account's maximum order amount in paise. With
    ``shared_redis_url`` the records live in Redis under ``shared_namespace`` too, so every
    worker and machine serving the app is one emulator (shared.py).
    """
    store = Store(key_secret=key_secret, max_amount=max_amount)
    dispatcher = Dispatcher(
        webhook_secret=webhook_secret,
        webhook_url=webhook_url,
        account_id=account_id,
        faults=store.faults,
        backoff_base=webhook_backoff_base,
        max_attempts=webhook_max_attempts,
        timeout=webhook_timeout,
        clock=store.clock,
    )
    shared = None
    if shared_redis_url is not None:
        shared = SharedRecords(
            redis_url=shared_redis_url, namespace=shared_namespace, store=store, dispatcher=dispatcher
        )
        dispatcher.section = shared.section
        dispatcher.shared_pending = shared.pending_deliveries
    api = ApiRoutes(store=store, dispatcher=dispatcher, key_id=key_id, key_secret=key_secret)
    control = ControlRoutes(store=store, dispatcher=dispatcher, key_id=key_id)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Runs only when served standalone; when mounted the worker simply starts lazily.
        yield
        await dispatcher.aclose()
        if shared is not None:
            await shared.aclose()

    app = Starlette(
        routes=[
            checkout_route(key_id=key_id, base=checkout_callback_base),
            *api.routes(),
            # checkout.js on another origin (standalone sandbox) calls the control API
            Mount("/_control", routes=control.routes(), middleware=[_CORS]),
        ],
        exception_handlers={
            ApiError: handle_api_error,
            404: handle_url_not_found,
            405: handle_url_not_found,
        },
        lifespan=lifespan,
    )
    app.state.sandbox = Sandbox(store=store, dispatcher=dispatcher)
    return app
