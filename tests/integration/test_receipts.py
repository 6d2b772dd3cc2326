"""Receipts over the REST API: every captured payment has one; other orgs get 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing_app.services import promos
from tests.factories import paid_order, paying_account
from tests.payments_support import LiveApp, live_app


@pytest.fixture
def app(db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)
        yield running


def paid_top_up(app: LiveApp, **pay: str) -> tuple[dict, dict]:
    account = paying_account(app, "receipts@example.com")
    order_id, paid = paid_order(app, account, 500, promo_code="TEN", **pay)
    app.verify(account, order_id, paid)
    return account, paid


def test_receipt_has_everything_a_person_needs(app):
    promos.create_promo(code="TEN", percent=10)
    account, paid = paid_top_up(app, method="upi", vpa="asha@okbank", contact="+919812345678")
    response = app.http.get(f"{app.url}/me/billing/receipts/{paid['razorpay_payment_id']}", headers=account["headers"])
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["payment_id"] == paid["razorpay_payment_id"]
    assert receipt["order_id"] == paid["razorpay_order_id"]
    assert receipt["amount_paise"] == 50_000 and receipt["currency"] == "INR"
    assert receipt["credits_micros"] == 500_000_000 and receipt["bonus_micros"] == 50_000_000
    assert receipt["method"] == "upi" and receipt["method_detail"] == "asha@okbank"
    assert receipt["paid_at"].endswith("+05:30")
    assert receipt["receipt_number"].startswith("BA") and len(receipt["receipt_number"]) <= 16
    assert receipt["payer"]["contact"] == "+919812345678"
    assert receipt["billing_address"]["state"] == "Karnataka"
    assert receipt["billing_address"]["state_code"] == "29"
    assert receipt["seller"]["name"]
    assert receipt["note"] == "This is a payment receipt, not a GST tax invoice."


def test_card_receipts_show_network_and_last4(app):
    promos.create_promo(code="TEN", percent=10)
    account, paid = paid_top_up(app, method="card", card_last4="4242", card_network="Visa")
    receipt = app.http.get(
        f"{app.url}/me/billing/receipts/{paid['razorpay_payment_id']}", headers=account["headers"]
    ).json()
    assert receipt["method"] == "card"
    assert "4242" in receipt["method_detail"] and "Visa" in receipt["method_detail"]


def test_another_orgs_receipt_is_not_found(app):
    promos.create_promo(code="TEN", percent=10)
    _, paid = paid_top_up(app)
    stranger = app.signup("stranger@example.com")
    response = app.http.get(f"{app.url}/me/billing/receipts/{paid['razorpay_payment_id']}", headers=stranger["headers"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    unknown = app.http.get(f"{app.url}/me/billing/receipts/pay_Nope", headers=stranger["headers"])
    assert unknown.status_code == 404


def test_promo_check_endpoint(app):
    promos.create_promo(code="TEN", percent=10)
    account = app.signup("check@example.com")
    url = f"{app.url}/me/billing/promo/check"
    ok = app.http.post(url, json={"code": " ten ", "amount": 500}, headers=account["headers"])
    assert ok.json() == {"code": "TEN", "bonus_micros": 50_000_000, "summary": "10% bonus"}
    bad = app.http.post(url, json={"code": "NOPE", "amount": 500}, headers=account["headers"])
    assert bad.status_code == 400 and bad.json()["error"] == {
        "code": "promo_invalid",
        "message": "This promo code is not valid.",
        "type": "billing_error",
    }
    amount = app.http.post(url, json={"code": "TEN", "amount": "250.5"}, headers=account["headers"])
    assert amount.json()["error"]["code"] == "amount_invalid"
    missing = app.http.post(url, json={"code": "TEN"}, headers=account["headers"])
    assert missing.status_code == 422
