"""Auth, unknown URLs, injected API faults and concurrent SDK use."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError, ServerError

from .helpers import ERROR_FIELDS, KEY_ID, KEY_SECRET, Sandbox


def test_wrong_secret_is_401_bad_request(sandbox: Sandbox) -> None:
    client = razorpay.Client(auth=(KEY_ID, "wrong"), base_url=sandbox.base_url)
    with pytest.raises(BadRequestError, match=r"^Authentication failed$"):
        client.order.create({"amount": 100, "currency": "INR"})
    raw = requests.get(f"{sandbox.base_url}/v1/orders", timeout=5)
    assert raw.status_code == 401
    assert raw.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_unknown_url_is_400(sandbox: Sandbox) -> None:
    for method, path in (("GET", "/v1/nothing"), ("DELETE", "/v1/orders"), ("GET", "/x")):
        response = requests.request(method, sandbox.base_url + path, auth=(KEY_ID, KEY_SECRET), timeout=5)
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert set(error) == ERROR_FIELDS
        assert error["description"] == "The requested URL was not found on the server."


def test_invalid_json_body(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base_url}/v1/orders",
        data="{not json",
        headers={"Content-Type": "application/json"},
        auth=(KEY_ID, KEY_SECRET),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"


@pytest.mark.parametrize(("status", "error"), [(500, ServerError), (503, ServerError), (504, GatewayError)])
def test_api_error_maps_to_sdk_exceptions(
    rzp: razorpay.Client, sandbox: Sandbox, status: int, error: type[Exception]
) -> None:
    sandbox.faults(api_error=status)
    with pytest.raises(error):
        rzp.order.all()
    raw = requests.get(f"{sandbox.base_url}/v1/orders", auth=(KEY_ID, KEY_SECRET), timeout=5)
    assert raw.status_code == status
    sandbox.faults(api_error=None)
    assert rzp.order.all()["count"] == 0


def test_502_is_not_json(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    sandbox.faults(api_error=502)
    with pytest.raises(requests.exceptions.JSONDecodeError):
        rzp.order.create({"amount": 100, "currency": "INR"})


def test_api_error_count_heals(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    assert sandbox.faults(api_error=500, api_error_count=2)["api_error_count"] == 2
    for _ in range(2):
        with pytest.raises(ServerError):
            rzp.order.create({"amount": 100, "currency": "INR"})
    assert rzp.order.create({"amount": 100, "currency": "INR"})["status"] == "created"
    assert sandbox.control("GET", "/faults")["api_error"] is None
    assert rzp.order.all()["count"] == 1  # the failed calls changed nothing


def test_api_error_after_commit_applies_the_request(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    sandbox.faults(api_error=504, api_error_count=1, api_error_after_commit=True)
    with pytest.raises(GatewayError):
        rzp.order.create({"amount": 100, "currency": "INR", "receipt": "lost-answer"})
    found = rzp.order.all({"receipt": "lost-answer"})
    assert found["count"] == 1


def test_control_and_checkout_are_never_faulted(sandbox: Sandbox) -> None:
    sandbox.faults(api_error=500)
    assert httpx.get(f"{sandbox.base_url}/v1/checkout.js").status_code == 200
    assert sandbox.control("GET", "/faults")["api_error"] == 500


def test_slow_api_trips_the_callers_timeout(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    sandbox.faults(api_slow_seconds=0.5)
    with pytest.raises(requests.exceptions.Timeout):
        rzp.order.all({}, timeout=0.1)
    started = time.monotonic()
    assert rzp.order.all({}, timeout=5)["count"] == 0
    assert time.monotonic() - started >= 0.45


def test_fault_switches_are_validated_and_reset(sandbox: Sandbox) -> None:
    for bad in ({"api_error": 418}, {"nonsense": True}, {"webhook_drop": "yes"}):
        response = sandbox.http.post("/faults", json=bad)
        assert response.status_code == 400, bad
    switched = sandbox.faults(webhook_duplicate=True, api_slow_seconds=0.01)
    assert switched["webhook_duplicate"] is True
    assert sandbox.http.delete("/faults").json()["webhook_duplicate"] is False
    sandbox.faults(webhook_drop=True)
    sandbox.reset()
    assert sandbox.control("GET", "/faults")["webhook_drop"] is False


def test_concurrent_sdk_calls_from_threads(rzp: razorpay.Client, sandbox: Sandbox) -> None:
    def buy(i: int) -> dict[str, Any]:
        client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sandbox.base_url)
        order = client.order.create({"amount": 100 + i, "currency": "INR", "receipt": f"c{i}"})
        paid = sandbox.http.post(f"/orders/{order['id']}/pay")  # httpx.Client is thread-safe
        payment_id = paid.json()["razorpay_payment_id"]
        refund = client.payment.refund(payment_id, {"amount": 100})
        assert refund["amount"] == 100
        fetched: dict[str, Any] = client.order.fetch(order["id"])
        return fetched

    with ThreadPoolExecutor(max_workers=12) as pool:
        orders = list(pool.map(buy, range(30)))
    assert len({o["id"] for o in orders}) == 30
    assert all(o["status"] == "paid" for o in orders)
    assert rzp.order.all({"count": 100})["count"] == 30
    sandbox.flush()
