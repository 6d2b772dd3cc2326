"""Fixtures: the sandbox served over real HTTP, a webhook receiver, the real SDK.

The sandbox is mounted at ``/sandbox/razorpay`` inside a parent Starlette app (as
the main app mounts it, so its lifespan never runs) and served by uvicorn in a
background thread; a second uvicorn thread receives its webhooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import razorpay
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from billing_app.sandbox import create_sandbox_app

from .helpers import (
    ACCOUNT_ID,
    BACKOFF,
    KEY_ID,
    KEY_SECRET,
    MOUNT,
    WEBHOOK_SECRET,
    Receiver,
    Sandbox,
    ServerThread,
)

CHECKOUT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>pay</title>
<script src="{src}"></script></head><body><h1>Shop</h1><script>
window.events = [];
var params = new URLSearchParams(location.search);
var options = {{
  key: params.get("key"), amount: Number(params.get("amount")), currency: "INR",
  name: "Acme Credits", description: "Credit top-up", order_id: params.get("order_id"),
  prefill: {{email: "asha@example.com", contact: "+919812345678"}},
  handler: function (r) {{ window.events.push(["handler", r]); }},
  modal: {{ondismiss: function () {{ window.events.push(["dismiss"]); }}}}
}};
if (params.get("redirect")) {{ options.callback_url = "/callback"; options.redirect = true; }}
if (params.get("recurring")) {{ options.recurring = params.get("recurring"); }}
if (params.get("customer_id")) {{ options.customer_id = params.get("customer_id"); }}
window.rzp = new Razorpay(options);
window.rzp.on("payment.failed", function (r) {{ window.events.push(["failed", r]); }});
window.rzp.open();
</script></body></html>"""


def _parent_app(sandbox_app: ASGIApp, callbacks: list[dict[str, str]]) -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(CHECKOUT_PAGE.format(src=MOUNT + "/v1/checkout.js"))

    async def callback(request: Request) -> HTMLResponse:
        form = await request.form()
        callbacks.append({k: str(v) for k, v in form.items()})
        return HTMLResponse("<p data-testid='callback-ok'>received</p>")

    return Starlette(
        routes=[
            Route("/checkout-page", page),
            Route("/callback", callback, methods=["POST"]),
            Mount(MOUNT, app=sandbox_app),
        ]
    )


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route(Receiver.path, receiver.endpoint, methods=["POST"])])
    with ServerThread(app) as server:
        receiver.url = server.url + Receiver.path
        yield receiver


@pytest.fixture(scope="session")
def form_callbacks() -> list[dict[str, str]]:
    """Form posts received by the test shop's ``/callback`` (checkout redirect)."""
    return []


@pytest.fixture(scope="session")
def sandbox_server(webhook_receiver: Receiver, form_callbacks: list[dict[str, str]]) -> Iterator[Sandbox]:
    app = create_sandbox_app(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        webhook_url=webhook_receiver.url,
        account_id=ACCOUNT_ID,
        webhook_backoff_base=BACKOFF,
    )
    with ServerThread(_parent_app(app, form_callbacks)) as server:
        yield Sandbox(server.url)


@pytest.fixture
def sandbox(
    sandbox_server: Sandbox,
    webhook_receiver: Receiver,
    form_callbacks: list[dict[str, str]],
) -> Sandbox:
    """The shared sandbox, emptied: no records, no faults, no webhooks received."""
    sandbox_server.reset()
    sandbox_server.control("POST", "/webhook_url", {"url": webhook_receiver.url})
    webhook_receiver.clear()
    form_callbacks.clear()
    return sandbox_server


@pytest.fixture
def rzp(sandbox: Sandbox) -> razorpay.Client:
    """The real razorpay SDK pointed at the sandbox."""
    return razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sandbox.base_url)


@pytest.fixture
def make_order(rzp: razorpay.Client) -> Any:
    counter = iter(range(1, 10_000))

    def make(amount: int = 50000, **extra: Any) -> dict[str, Any]:
        body = {"amount": amount, "currency": "INR", "receipt": f"rcpt_{next(counter)}"}
        order: dict[str, Any] = rzp.order.create({**body, **extra})
        return order

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
) -> dict[str, Any]:
    """Debian chromium (``playwright install`` cannot run here), per DESIGN.md."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
