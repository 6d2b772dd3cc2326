"""checkout.js: served by the sandbox, and driven in Chromium through its modal."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest
import razorpay

from billing_app.sandbox import create_sandbox_app
from tests.servers import run_on_fresh_loop

from .helpers import KEY_ID, Receiver, Sandbox

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed")


def test_script_is_served_without_auth(sandbox: Sandbox) -> None:
    response = httpx.get(f"{sandbox.base_url}/v1/checkout.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "window.Razorpay = Razorpay" in response.text
    assert f'"keyId": "{KEY_ID}"' in response.text
    assert "__SANDBOX_CONFIG__" not in response.text


def test_control_api_allows_cross_origin_checkout(sandbox: Sandbox) -> None:
    preflight = httpx.options(
        f"{sandbox.base_url}/_control/orders/order_X/pay",
        headers={
            "Origin": "http://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "http://shop.example")


def open_checkout(page: Any, sandbox: Sandbox, order: dict[str, Any], **extra: str) -> None:
    params = {"order_id": order["id"], "amount": str(order["amount"]), "key": KEY_ID}
    params.update(extra)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    page.goto(f"{sandbox.root}/checkout-page?{query}")
    page.get_by_test_id("rzp-sandbox-modal").wait_for()


@needs_chromium
def test_fail_then_pay_in_the_modal(
    page: Any,
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
    make_order: Any,
) -> None:
    order = make_order(amount=123456)
    open_checkout(page, sandbox, order)
    modal = page.get_by_test_id("rzp-sandbox-modal")
    assert "₹1,234.56" in modal.get_by_test_id("rzp-amount").inner_text()
    assert modal.get_by_test_id("rzp-name").inner_text() == "Acme Credits"
    assert "asha@example.com" in modal.get_by_test_id("rzp-prefill").inner_text()

    page.get_by_test_id("rzp-fail").click()
    page.wait_for_function("window.events.length === 1")
    kind, failure = page.evaluate("window.events[0]")
    assert kind == "failed"
    assert failure["error"]["metadata"]["order_id"] == order["id"]
    assert modal.is_visible()  # stays open so the customer can retry
    assert modal.get_attribute("data-state") == "failed"

    page.get_by_test_id("rzp-method-card").click()
    page.get_by_test_id("rzp-pay").click()
    page.wait_for_function("window.events.length === 2")
    kind, success = page.evaluate("window.events[1]")
    assert kind == "handler"
    assert rzp.utility.verify_payment_signature(success) is True
    assert success["razorpay_order_id"] == order["id"]
    assert page.get_by_test_id("rzp-sandbox-modal").count() == 0
    payment = rzp.payment.fetch(success["razorpay_payment_id"])
    assert (payment["method"], payment["status"]) == ("card", "captured")
    assert payment["email"] == "asha@example.com"
    order = rzp.order.fetch(order["id"])
    assert (order["status"], order["attempts"]) == ("paid", 2)
    webhook_receiver.wait_for(4)


@needs_chromium
def test_close_calls_ondismiss(page: Any, sandbox: Sandbox, make_order: Any) -> None:
    order = make_order()
    open_checkout(page, sandbox, order)
    page.get_by_test_id("rzp-close").click()
    page.wait_for_function("window.events.length === 1")
    assert page.evaluate("window.events[0][0]") == "dismiss"
    assert page.get_by_test_id("rzp-sandbox-modal").count() == 0


@needs_chromium
def test_wrong_key_blocks_payment(page: Any, sandbox: Sandbox, make_order: Any) -> None:
    open_checkout(page, sandbox, make_order(), key="rzp_test_someoneelse")
    assert "Invalid key" in page.get_by_test_id("rzp-error").inner_text()
    assert page.get_by_test_id("rzp-pay").is_disabled()


@needs_chromium
def test_redirect_posts_the_three_fields(
    page: Any,
    rzp: razorpay.Client,
    sandbox: Sandbox,
    form_callbacks: list[dict[str, str]],
    make_order: Any,
) -> None:
    order = make_order()
    open_checkout(page, sandbox, order, redirect="1")
    page.get_by_test_id("rzp-method-netbanking").click()
    page.get_by_test_id("rzp-pay").click()
    page.get_by_test_id("callback-ok").wait_for()
    (posted,) = form_callbacks
    assert set(posted) == {"razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
    assert rzp.utility.verify_payment_signature(posted) is True
    assert rzp.payment.fetch(posted["razorpay_payment_id"])["method"] == "netbanking"


def test_callback_base_overrides_the_derived_url() -> None:
    app = create_sandbox_app(
        key_id="k",
        key_secret="s",
        webhook_secret="w",
        webhook_url=None,
        checkout_callback_base="https://shop.example/sandbox/razorpay",
    )

    async def fetch() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            return (await client.get("/v1/checkout.js")).text

    assert '"base": "https://shop.example/sandbox/razorpay"' in run_on_fresh_loop(fetch)


@needs_chromium
def test_authorising_a_mandate_in_the_modal(
    page: Any,
    rzp: razorpay.Client,
    sandbox: Sandbox,
    webhook_receiver: Receiver,
) -> None:
    customer = rzp.customer.create({"name": "Asha", "email": "asha@example.com", "contact": "+919812345678"})
    expire_at = int(sandbox.control("GET", "/clock")["now"]) + 365 * 24 * 3600
    token = {"max_amount": 1_000_000, "expire_at": expire_at, "frequency": "as_presented"}
    body = {"amount": 100, "currency": "INR", "customer_id": customer["id"], "method": "card", "token": token}
    order = rzp.order.create(body)

    # without recurring: 1 and the customer, checkout refuses to set up the mandate
    open_checkout(page, sandbox, order)
    page.wait_for_function("document.querySelector('[data-testid=rzp-sandbox-modal]').dataset.state === 'blocked'")
    assert "options.recurring" in page.get_by_test_id("rzp-error").inner_text()

    open_checkout(page, sandbox, order, recurring="1", customer_id=customer["id"])
    page.wait_for_function("document.querySelector('[data-testid=rzp-mandate]').textContent !== ''")
    assert "up to ₹10,000.00" in page.get_by_test_id("rzp-mandate").inner_text()
    assert page.get_by_test_id("rzp-method-upi").is_hidden()  # only the order's method
    page.get_by_test_id("rzp-card-number").fill("5555 5555 5555 4444")
    page.get_by_test_id("rzp-pay").click()
    page.wait_for_function("window.events.length === 1")
    kind, success = page.evaluate("window.events[0]")
    assert kind == "handler"
    assert rzp.utility.verify_payment_signature(success) is True
    (card_token,) = rzp.token.all(customer["id"])["items"]
    assert (card_token["method"], card_token["card"]["last4"]) == ("card", "4444")
    assert card_token["recurring_details"]["status"] == "confirmed"
    assert rzp.payment.fetch(success["razorpay_payment_id"])["token_id"] == card_token["id"]
    webhook_receiver.wait_for(4)
    assert webhook_receiver.events()[-1] == "token.confirmed"
