"""The production app with two workers on PostgreSQL and Redis, as an operator runs it
(`REDIS_URL=… DATABASE_URL=postgresql://… WORKERS=2 make run`), driven in the browser: sign-up,
the address with PIN autofill, a top-up through the sandbox checkout (fail, close, retry, pay),
the receipt. Requests land on either worker; the emulator is one (its records in Redis).
Skipped with the reason where PostgreSQL or Redis does not answer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from billing_app.db import make_engine
from tests.api_processes import require_redis
from tests.conftest import require_postgres
from tests.e2e.app_process import running_app
from tests.e2e.conftest import ARTIFACTS, goto, screenshot
from tests.e2e.test_topup_flow import fail_then_close, signed_up_with_address, start_checkout

pytestmark = pytest.mark.e2e
WORKERS = 2


def _empty_database(url: str) -> None:
    """The app migrates its database itself; start it from nothing."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="module")
def workers_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database_url = require_postgres()
    redis_url = require_redis()
    _empty_database(database_url)
    workdir = tmp_path_factory.mktemp("e2e-workers")
    try:
        with running_app(database_url, workdir, REDIS_URL=redis_url, GRANIAN_WORKERS=str(WORKERS)) as base_url:
            # the emulator's records outlive the database in Redis: start from none
            httpx.post(f"{base_url}/sandbox/razorpay/_control/reset", timeout=10).raise_for_status()
            yield base_url
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        if (workdir / "app.log").exists():
            shutil.copy(workdir / "app.log", ARTIFACTS / "e2e-workers-app.log")


@pytest.fixture
def page_on_workers(workers_app: str, page: Page) -> Page:
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    return page


def test_orders_are_one_emulators_whichever_worker_answers(workers_app: str):
    """Fresh connections spread over the workers; each finds every order made through any."""
    body = {"amount": 50000, "currency": "INR"}
    created = []
    for _ in range(6):
        with httpx.Client(base_url=workers_app, auth=("rzp_test_sandbox", "sandbox_key_secret")) as fresh:
            response = fresh.post("/sandbox/razorpay/v1/orders", json=body)
            assert response.status_code == 200, response.text
            created.append(response.json()["id"])
    for order_id in created * 3:
        with httpx.Client(base_url=workers_app) as fresh:
            response = fresh.get(f"/sandbox/razorpay/_control/orders/{order_id}")
            assert response.status_code == 200, response.text


def test_top_up_fail_retry_pay_and_receipt_across_workers(page_on_workers: Page, workers_app: str):
    app = page_on_workers
    signed_up_with_address(app, workers_app)  # the PIN filled in the city and state
    start_checkout(app, 250)
    fail_then_close(app)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")

    start_checkout(app, 500)
    screenshot(app, "workers-checkout-modal")
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹600.00")
    expect(app.get_by_test_id("history-row").first).to_contain_text("Credit top-up via Razorpay (₹500)")
    expect(app.get_by_test_id("history-row")).to_have_count(2)
    screenshot(app, "workers-billing-after-topup")

    app.get_by_test_id("success-receipt").click()
    app.wait_for_url("**/billing/receipts/pay_*")
    expect(app.get_by_test_id("receipt-amount")).to_have_text("₹500.00")
    goto(app, workers_app, "/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹600.00")
