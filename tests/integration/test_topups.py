"""Money in, end to end over real HTTP: our API → the razorpay SDK → the sandbox →
signed webhooks back to our API. Every ordering of callback, webhooks and reconciler
credits a captured payment exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from billing_app.db import write_engine
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.jobs.reconciler import reconcile_once
from tests.factories import paying_account
from tests.payments_support import (
    LiveApp,
    assert_books_balance,
    credits_for,
    live_app,
    processed_events,
    wait_until,
)

START = 100_000_000
FIVE_HUNDRED = 500_000_000


@pytest.fixture
def app(db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


@pytest.fixture
def app_any_db(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


@pytest.fixture
def account(app: LiveApp) -> dict:
    return paying_account(app)


def balance(app: LiveApp, account: dict) -> int:
    return app.billing(account)["balance_micros"]


def wait_for_credit(app: LiveApp, account: dict, expected: int = START + FIVE_HUNDRED) -> None:
    wait_until(lambda: balance(app, account) == expected, what=f"balance {expected}")


def test_callback_then_webhooks_credit_once(app, account):
    order = app.new_order(account, 500)
    assert order["amount_paise"] == 50_000 and order["currency"] == "INR"
    assert order["order_id"].startswith("order_")
    paid = app.pay(order["order_id"])
    response = app.verify(account, order["order_id"], paid)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "paid",
        "balance_micros": START + FIVE_HUNDRED,
        "payment_id": paid["razorpay_payment_id"],
    }
    app.flush_webhooks()
    wait_until(lambda: len(app.sandbox_webhooks()) >= 3, what="webhooks sent")
    assert balance(app, account) == START + FIVE_HUNDRED
    [entry] = credits_for(account["org_id"])
    assert entry.description == "Credit top-up via Razorpay (₹500)"
    assert entry.payment_id == paid["razorpay_payment_id"]
    assert_books_balance()


def test_webhook_alone_credits_and_the_late_callback_changes_nothing(app, account):
    order = app.new_order(account, 250)
    paid = app.pay(order["order_id"])
    wait_for_credit(app, account, START + 250_000_000)
    response = app.verify(account, order["order_id"], paid)
    assert response.json()["status"] == "paid"
    assert balance(app, account) == START + 250_000_000
    assert len(credits_for(account["org_id"])) == 1


def test_lost_webhooks_are_healed_by_the_reconciler(app, account):
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    app.pay(order["order_id"])  # the browser never calls back either
    app.flush_webhooks()
    assert balance(app, account) == START
    report = reconcile_once(older_than_seconds=0)
    assert report.credited == 1
    assert balance(app, account) == START + FIVE_HUNDRED
    assert reconcile_once(older_than_seconds=0).credited == 0  # paid orders are not asked about again


def test_reconciler_first_then_callback_then_duplicated_shuffled_webhooks(app, account):
    app.faults(webhook_delay_seconds=1.0, webhook_duplicate=True, webhook_shuffle=True)
    order = app.new_order(account)
    paid = app.pay(order["order_id"])
    assert reconcile_once(older_than_seconds=0).credited == 1
    assert app.verify(account, order["order_id"], paid).json()["status"] == "paid"
    app.flush_webhooks()
    wait_until(lambda: len(app.sandbox_webhooks()) >= 3, what="webhooks")
    assert balance(app, account) == START + FIVE_HUNDRED
    assert len(credits_for(account["org_id"])) == 1
    assert_books_balance()


def test_authorized_payment_is_captured_by_the_server(app, account):
    order = app.new_order(account)
    paid = app.pay(order["order_id"], outcome="authorized")
    assert app.verify(account, order["order_id"], paid).json()["status"] == "paid"
    payment = get_gateway().order_payments(order["order_id"])[0]
    assert payment["status"] == "captured"
    assert balance(app, account) == START + FIVE_HUNDRED


def test_failed_then_successful_upi_retry_is_credited_once(app, account):
    order = app.new_order(account)
    failed = app.pay(order["order_id"], outcome="failed")
    assert "error" in failed
    paid = app.pay(order["order_id"], outcome="captured", vpa="success@razorpay")
    assert app.verify(account, order["order_id"], paid).json()["status"] == "paid"
    app.flush_webhooks()
    assert balance(app, account) == START + FIVE_HUNDRED
    assert len(credits_for(account["org_id"])) == 1


def test_unpaid_order_stays_pending(app, account):
    app.new_order(account)
    assert reconcile_once(older_than_seconds=0).credited == 0
    assert balance(app, account) == START


def test_wrong_signature_credits_nothing(app, account):
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    paid = app.pay(order["order_id"], outcome="authorized")
    paid["razorpay_signature"] = "0" * 64
    response = app.verify(account, order["order_id"], paid)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_invalid"
    assert balance(app, account) == START


def test_callback_for_another_order_is_refused(app, account):
    app.faults(webhook_drop=True)
    first = app.new_order(account)
    second = app.new_order(account)
    paid = app.pay(first["order_id"], outcome="authorized")
    response = app.verify(account, second["order_id"], paid)  # a's payment presented for b
    assert response.json()["error"]["code"] == "signature_invalid"
    assert balance(app, account) == START


def test_another_orgs_order_is_not_found(app, account):
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    paid = app.pay(order["order_id"], outcome="authorized")
    stranger = app.signup("stranger@example.com")
    response = app.verify(stranger, order["order_id"], paid)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert balance(app, account) == START
    assert balance(app, stranger) == START


def test_tampered_amount_is_never_credited(app, account):
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    with write_engine().begin() as conn:  # our record now disagrees with what was paid
        conn.execute(sa.text("UPDATE payment_order SET amount_paise = 60000"))
    paid = app.pay(order["order_id"])
    assert app.verify(account, order["order_id"], paid).json()["status"] == "pending"
    assert balance(app, account) == START


def test_gateway_errors_credit_nothing_and_heal_later(app, account):
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    paid = app.pay(order["order_id"])
    app.faults(api_error=504)
    response = app.verify(account, order["order_id"], paid)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_gateway_error"
    app.faults(api_error=500)
    assert app.verify(account, order["order_id"], paid).status_code == 502
    assert balance(app, account) == START
    app.faults(api_error=None)
    assert reconcile_once(older_than_seconds=0).credited == 1
    assert balance(app, account) == START + FIVE_HUNDRED


def test_refund_debits_the_refunded_credits(app, account):
    order = app.new_order(account)
    paid = app.pay(order["order_id"])
    app.verify(account, order["order_id"], paid)
    client = get_gateway()._client()
    client.payment.refund(paid["razorpay_payment_id"], {"amount": 20_000})  # ₹200 of ₹500
    wait_until(lambda: balance(app, account) == START + 300_000_000, what="refund debited")
    [refund] = credits_for(account["org_id"], "refund")
    assert refund.amount_micros == -200_000_000
    assert refund.payment_id == paid["razorpay_payment_id"]
    app.flush_webhooks()
    assert len(credits_for(account["org_id"], "refund")) == 1
    assert_books_balance()


def test_concurrent_reports_of_one_payment_credit_once(app_any_db):
    app = app_any_db
    account = app.signup("concurrent@example.com")
    app.add_address(account)
    app.faults(webhook_duplicate=True)
    order = app.new_order(account)
    paid = app.pay(order["order_id"], outcome="authorized")

    def report(i: int) -> int:
        if i % 4 == 3:
            reconcile_once(older_than_seconds=0)
            return 200
        return app.verify(account, order["order_id"], paid).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(report, range(20)))
    assert set(statuses) == {200}
    app.flush_webhooks()
    assert balance(app, account) == START + FIVE_HUNDRED
    assert len(credits_for(account["org_id"])) == 1
    assert_books_balance()


def test_usd_credits_are_charged_in_inr_at_the_configured_rate(db, monkeypatch):
    monkeypatch.setenv("BILLING_CURRENCY", "USD")
    monkeypatch.setenv("USD_INR_RATE_PAISE", "8500")
    with live_app(monkeypatch) as usd_app:
        account = usd_app.signup("usd@example.com")
        usd_app.add_address(account)
        assert account["currency"] == "USD"
        assert usd_app.order(account, 4).json()["error"]["code"] == "amount_invalid"  # below $5
        order = usd_app.new_order(account, 10)
        assert order["amount_paise"] == 85_000 and order["currency"] == "INR"
        assert order["credits_micros"] == 10_000_000
        paid = usd_app.pay(order["order_id"])
        assert usd_app.verify(account, order["order_id"], paid).json()["balance_micros"] == 110_000_000
        [entry] = credits_for(account["org_id"])
        assert entry.description == "Credit top-up via Razorpay (₹850)"


def test_twenty_concurrent_webhook_deliveries_credit_once(app_any_db):
    """The same payment reported by 20 deliveries at once (distinct event ids, so none is
    deduplicated away: each is processed and settles)."""
    from billing_app.config import SANDBOX_WEBHOOK_SECRET
    from billing_app.integrations.razorpay_gateway import _hex_hmac

    app = app_any_db
    account = app.signup("twenty@example.com")
    app.add_address(account)
    app.faults(webhook_drop=True)
    order = app.new_order(account)
    app.pay(order["order_id"])
    captured = next(row for row in app.sandbox_webhooks() if row["event"] == "payment.captured")
    raw = app.http.get(f"{app.url}/sandbox/razorpay/_control/webhooks/{captured['event_id']}").json()["body"]
    body = raw.encode()
    signature = _hex_hmac(SANDBOX_WEBHOOK_SECRET, body)

    def deliver(i: int) -> int:
        headers = {
            "content-type": "application/json",
            "x-razorpay-signature": signature,
            "x-razorpay-event-id": f"evt_Concurrent{i:04d}",
        }
        return app.http.post(f"{app.url}/webhooks/razorpay", content=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert set(pool.map(deliver, range(20))) == {200}
    wait_for_credit(app, account)
    wait_until(lambda: len(processed_events()) == 20, what="all 20 processed")
    assert len(credits_for(account["org_id"])) == 1
    assert balance(app, account) == START + FIVE_HUNDRED
    assert_books_balance()
