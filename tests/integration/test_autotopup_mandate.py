"""Auto top-up's mandate and rule over real HTTP: our API → the razorpay SDK → the sandbox →
signed token.* webhooks back to our API. The sandbox's control API plays checkout, the bank
and the customer (confirm, reject, pause, cancel a token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.jobs.autotopup import autotopup_once
from billing_app.jobs.outbox import send_due
from billing_app.models import AutoTopupMandate, EmailKind, EmailOutbox, WebhookEvent
from billing_app.models.types import utcnow
from billing_app.services import accounts, audit
from billing_app.services.autotopup import mandate as mandates
from billing_app.services.autotopup.mandate import refund_authorisation
from tests.factories import paying_account
from tests.payments_support import LiveApp, assert_books_balance, live_app, wait_until

START = 100_000_000
RULE = {"amount": 500, "floor_micros": 200_000_000, "monthly_cap": 2000, "enabled": False}


@pytest.fixture
def app(any_db, mailbox, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


@pytest.fixture
def account(app: LiveApp) -> dict[str, Any]:
    return paying_account(app)


def settings(app: LiveApp, account: dict[str, Any]) -> dict[str, Any]:
    response = app.http.get(f"{app.url}/me/billing/auto-topup", headers=account["headers"])
    assert response.status_code == 200, response.text
    return response.json()


def put_rule(app: LiveApp, account: dict[str, Any], **changes: Any) -> Any:
    return app.http.put(f"{app.url}/me/billing/auto-topup", json=RULE | changes, headers=account["headers"])


def start_mandate(app: LiveApp, account: dict[str, Any], method: str = "upi") -> dict[str, Any]:
    response = app.http.post(
        f"{app.url}/me/billing/auto-topup/mandate", json={"method": method}, headers=account["headers"]
    )
    assert response.status_code == 201, response.text
    return response.json()


def mandate_status(app: LiveApp, account: dict[str, Any]) -> str | None:
    mandate = settings(app, account)["mandate"]
    return mandate["status"] if mandate else None


def wait_for_status(app: LiveApp, account: dict[str, Any], status: str) -> dict[str, Any]:
    app.flush_webhooks()
    wait_until(lambda: mandate_status(app, account) == status, what=f"mandate {status}")
    return settings(app, account)


def authorised(app: LiveApp, account: dict[str, Any], method: str = "upi", **pay: Any) -> dict[str, Any]:
    """A confirmed mandate, authorised the way checkout does it."""
    started = start_mandate(app, account, method)
    details = {"vpa": "asha@okhdfc"} if method == "upi" else {"card_network": "Visa", "card_last4": "1111"}
    app.pay(started["order_id"], method=method, **(details | pay))
    return started


def token_id_of(org_id: int) -> str:
    with read_session() as session:
        row = session.exec(
            select(AutoTopupMandate).where(col(AutoTopupMandate.org_id) == org_id).order_by(col(AutoTopupMandate.id))
        ).all()[-1]
    assert row.token_id is not None
    return row.token_id


def notices(org_id: int) -> list[dict[str, Any]]:
    with read_session() as session:
        rows = session.exec(
            select(EmailOutbox).where(
                col(EmailOutbox.org_id) == org_id, col(EmailOutbox.kind) == EmailKind.AUTOTOPUP_OFF
            )
        ).all()
    return [json.loads(row.payload) for row in rows]


def actions(org_id: int) -> list[str]:
    return [row.action for row in audit.list_events(org_id=org_id, limit=100).rows if row.action.startswith("auto")]


def webhook_errors() -> list[str]:
    with read_session() as session:
        return [row.error for row in session.exec(select(WebhookEvent)) if row.error]


def test_a_upi_mandate_is_authorised_then_cancelled_by_the_bank(app, account, mailbox):
    started = start_mandate(app, account)
    checkout = started["checkout"]
    assert checkout["recurring"] == 1
    assert (checkout["order_id"], checkout["customer_id"]) == (started["order_id"], started["customer_id"])
    assert checkout["key"] == started["key_id"] and started["customer_id"].startswith("cust_")
    assert started["mandate"]["status"] == "pending" and started["mandate"]["max_amount_paise"] == 1_500_000
    # the rule may be saved, but not switched on, before the bank confirms the mandate
    assert put_rule(app, account).status_code == 200
    refused = put_rule(app, account, enabled=True)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "mandate_required"

    app.pay(started["order_id"], method="upi", vpa="asha@okhdfc")
    confirmed = wait_for_status(app, account, "confirmed")
    assert confirmed["mandate"]["instrument"] == "asha@okhdfc"
    assert confirmed["enabled"] is False  # confirming a mandate switches nothing on
    # the authorisation payment is not a top-up: nothing credited, no webhook left in error
    assert app.billing(account)["balance_micros"] == START
    assert webhook_errors() == []

    on = put_rule(app, account, enabled=True)
    assert on.status_code == 200, on.text
    rule = on.json()["rule"]
    assert rule["enabled"] and rule["enabled_by_user_id"] == account["user_id"] and rule["enabled_at"]
    assert on.json()["sentence"].startswith("Your balance is at or below ₹200: a top-up of ₹500 would be notified now")

    app.control(f"/tokens/{token_id_of(account['org_id'])}", {"status": "cancelled"})
    off = wait_for_status(app, account, "cancelled")
    assert off["enabled"] is False
    assert off["rule"]["disabled_reason"] == (
        "Auto top-up was turned off: the mandate was cancelled at your bank or UPI app."
    )
    assert notices(account["org_id"]) == [
        {"reason": "the mandate was cancelled at your bank or UPI app", "was_on": True}
    ]
    assert send_due().sent >= 1
    [message] = [m for m in mailbox.messages if str(m["Subject"]).startswith("Auto top-up is off")]
    assert "No automatic top-up will be charged" in message.get_body(preferencelist=("plain",)).get_content()
    # it never switches itself back on, and cannot be switched on without a new mandate
    refused = put_rule(app, account, enabled=True)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "mandate_required"
    assert actions(account["org_id"]) == [  # newest first
        "autotopup.disabled",
        "autotopup.mandate.cancelled",
        "autotopup.enabled",
        "autotopup.rule.saved",
        "autotopup.mandate.confirmed",
        "autotopup.rule.saved",
        "autotopup.mandate.started",
    ]
    assert_books_balance()


def test_reversed_and_duplicated_webhooks_confirm_the_mandate_once(app, account):
    """token.confirmed arriving before the authorisation payment's events still finds its
    mandate (through the customer, asked of Razorpay); every event twice changes nothing twice."""
    app.faults(webhook_shuffle=True, webhook_duplicate=True)
    authorised(app, account)
    assert wait_for_status(app, account, "confirmed")["mandate"]["instrument"] == "asha@okhdfc"
    app.control(f"/tokens/{token_id_of(account['org_id'])}", {"status": "paused"})
    wait_for_status(app, account, "paused")
    app.flush_webhooks()
    assert actions(account["org_id"]).count("autotopup.mandate.confirmed") == 1
    assert actions(account["org_id"]).count("autotopup.mandate.paused") == 1
    assert len(notices(account["org_id"])) == 1
    assert webhook_errors() == []
    assert app.billing(account)["balance_micros"] == START


def test_a_rejected_mandate_is_reported_and_emailed(app, account):
    started = start_mandate(app, account, "card")
    app.pay(started["order_id"], method="card", token_status="rejected")
    found = wait_for_status(app, account, "rejected")
    assert found["mandate"]["method"] == "card"
    assert notices(account["org_id"]) == [{"reason": "your bank or UPI app declined the mandate", "was_on": False}]
    # a new mandate can be authorised after a rejected one, for the same Razorpay customer
    again = start_mandate(app, account, "card")
    assert again["customer_id"] == started["customer_id"] and again["order_id"] != started["order_id"]


def test_a_card_mandate_shows_the_card_and_a_pause_turns_auto_topup_off_for_good(app, account):
    authorised(app, account, "card")
    shown = wait_for_status(app, account, "confirmed")["mandate"]
    assert "1111" in shown["instrument"]
    assert put_rule(app, account, enabled=True, method="card").status_code == 200
    token_id = token_id_of(account["org_id"])
    app.control(f"/tokens/{token_id}", {"status": "paused"})
    assert wait_for_status(app, account, "paused")["enabled"] is False
    app.control(f"/tokens/{token_id}", {"status": "confirmed"})
    assert wait_for_status(app, account, "confirmed")["enabled"] is False  # lifted pause: still off
    assert len(notices(account["org_id"])) == 1


def test_cancelling_the_mandate_cancels_the_token_at_razorpay_once(app, account):
    started = authorised(app, account)
    wait_for_status(app, account, "confirmed")
    assert put_rule(app, account, enabled=True).status_code == 200
    response = app.http.delete(f"{app.url}/me/billing/auto-topup/mandate", headers=account["headers"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    token = get_gateway().fetch_token(customer_id=started["customer_id"], token_id=token_id_of(account["org_id"]))
    assert token["recurring_details"]["status"] == "cancelled"
    app.flush_webhooks()  # Razorpay's token.cancelled arrives after: it changes nothing
    wait_until(lambda: any(w["event"] == "token.cancelled" for w in app.sandbox_webhooks()), what="token.cancelled")
    found = settings(app, account)
    assert found["enabled"] is False and found["rule"]["disabled_reason"] == "You cancelled the mandate."
    assert notices(account["org_id"]) == []  # the person did it: no email
    assert actions(account["org_id"]).count("autotopup.mandate.cancelled") == 1
    again = app.http.delete(f"{app.url}/me/billing/auto-topup/mandate", headers=account["headers"])
    assert again.status_code == 404


def test_a_second_authorisation_replaces_an_unpaid_one_but_not_a_confirmed_one(app, account):
    first = start_mandate(app, account)
    second = start_mandate(app, account)
    assert second["order_id"] != first["order_id"]
    with read_session() as session:
        statuses = [row.status for row in session.exec(select(AutoTopupMandate).order_by(col(AutoTopupMandate.id)))]
    assert statuses == ["cancelled", "pending"]
    app.pay(second["order_id"], method="upi")
    wait_for_status(app, account, "confirmed")
    response = app.http.post(
        f"{app.url}/me/billing/auto-topup/mandate", json={"method": "upi"}, headers=account["headers"]
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_concurrent_authorisations_leave_one_live_mandate(app, account):
    def post(_: int) -> int:
        response = app.http.post(
            f"{app.url}/me/billing/auto-topup/mandate", json={"method": "upi"}, headers=account["headers"]
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(post, range(6)))
    assert set(codes) <= {201, 409} and 201 in codes, codes
    with read_session() as session:
        rows = session.exec(select(AutoTopupMandate)).all()
    assert [row.status for row in rows].count("pending") == 1
    assert {row.razorpay_customer_id for row in rows} == {rows[0].razorpay_customer_id}


def test_the_rule_is_validated_through_the_api(app, account):
    authorised(app, account)
    wait_for_status(app, account, "confirmed")

    def refused_field(**changes: Any) -> str:
        response = put_rule(app, account, **changes)
        assert response.status_code == 422, response.text
        return str(response.json()["error"]["field"])

    assert refused_field(amount=50) == "amount"
    assert refused_field(amount=5000) == "amount"
    assert refused_field(monthly_cap=100) == "monthly_cap"
    assert refused_field(method="card") == "method"  # the mandate is UPI
    assert refused_field(method="cash") == "method"
    assert refused_field(floor_micros=-1) == "floor_micros"
    assert refused_field(cooldown_minutes=8 * 24 * 60) == "cooldown_minutes"
    assert settings(app, account)["rule"] is None  # nothing saved by a refusal
    saved = put_rule(app, account, amount=1000, cooldown_minutes=90).json()["rule"]
    assert (saved["amount"], saved["method"], saved["cooldown_minutes"]) == (1000, "upi", 90)
    delete = app.http.delete(f"{app.url}/me/billing/auto-topup", headers=account["headers"])
    assert delete.status_code == 204 and settings(app, account)["rule"] is None
    assert settings(app, account)["mandate"]["status"] == "confirmed"  # the mandate stays


def test_the_dry_run_takes_the_saved_rule_or_the_one_given(app, account):
    url = f"{app.url}/me/billing/auto-topup/dry-run"
    missing = app.http.get(url, headers=account["headers"])
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "amount"
    given = app.http.get(
        url, params={"amount": 500, "floor_micros": 200_000_000, "monthly_cap": 2000}, headers=account["headers"]
    )
    assert given.status_code == 200, given.text
    # the signup credit sits at ₹100, below the ₹200 floor: the rule would have notified at once
    assert given.json()["topups"] and given.json()["topups"][0]["amount_micros"] == 500_000_000
    assert put_rule(app, account, method="upi").status_code == 200  # no mandate yet: say which
    saved = app.http.get(url, headers=account["headers"])
    assert saved.status_code == 200

    def what(topups: list[dict]) -> list[tuple]:  # the replay runs up to "now": a second may pass
        return [(t["amount_micros"], t["balance_at_notice_micros"], t["late"]) for t in topups]

    assert what(saved.json()["topups"]) == what(given.json()["topups"])


def test_the_authorisation_payment_is_refunded_and_never_credited(app, account):
    started = authorised(app, account)
    wait_for_status(app, account, "confirmed")

    def refunded() -> int:
        [payment] = get_gateway().order_payments(started["order_id"])
        return int(payment["amount_refunded"])

    wait_until(lambda: refunded() == 100, what="the ₹1 authorisation refunded")
    app.flush_webhooks()  # refund.created, refund.processed: nothing to debit
    billing = app.billing(account)
    assert billing["balance_micros"] == START
    assert [entry["type"] for entry in billing["entries"]] == ["signup_credit"]
    assert webhook_errors() == []
    # later events about the authorisation refund nothing more; the mandate stays confirmed
    assert refund_authorisation(started["order_id"]) == 0
    assert mandate_status(app, account) == "confirmed"
    assert_books_balance()


def test_the_mandate_maximum_is_chosen_within_the_ceiling(app, account):
    def start(**body: Any) -> Any:
        return app.http.post(
            f"{app.url}/me/billing/auto-topup/mandate", json={"method": "card", **body}, headers=account["headers"]
        )

    for refused in (15_001, 99, 0):
        response = start(max_amount=refused)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == "max_amount"
    started = start(max_amount=5000)
    assert started.status_code == 201, started.text
    assert started.json()["mandate"]["max_amount_paise"] == 500_000
    order = app.http.get(f"{app.url}/sandbox/razorpay/_control/orders/{started.json()['order_id']}").json()["order"]
    assert order["token"]["max_amount"] == 500_000
    app.pay(started.json()["order_id"], method="card", card_network="Visa", card_last4="1111")
    assert wait_for_status(app, account, "confirmed")["mandate"]["max_amount_paise"] == 500_000


def refunded_on(order_id: str) -> list[int]:
    return [int(p["amount_refunded"]) for p in get_gateway().order_payments(order_id)]


def test_a_mandate_whose_webhooks_are_lost_is_confirmed_by_the_next_pass(app, account):
    """Razorpay's webhooks never arrive: the auto top-up pass asks Razorpay itself, binds the
    token, confirms the mandate and refunds the ₹1 once; later passes change nothing."""
    app.faults(webhook_drop=True)
    started = authorised(app, account)
    assert any(w["event"] == "token.confirmed" for w in app.sandbox_webhooks())  # sent by the bank, lost
    assert mandate_status(app, account) == "pending"
    assert refunded_on(started["order_id"]) == [0]
    soon = utcnow() + timedelta(seconds=30)
    assert autotopup_once(now=soon).mandates_followed == 0  # asked about at most every few minutes

    later = utcnow() + mandates.FOLLOW_PENDING_EVERY
    assert autotopup_once(now=later).mandates_followed == 1
    found = settings(app, account)
    assert found["mandate"]["status"] == "confirmed" and found["mandate"]["instrument"] == "asha@okhdfc"
    assert found["enabled"] is False  # confirming a mandate switches nothing on
    assert refunded_on(started["order_id"]) == [100]
    for hours in (1, 2):  # a confirmed token is asked about only daily, and nothing happens twice
        assert autotopup_once(now=later + timedelta(hours=hours)).errors == 0
    assert actions(account["org_id"]).count("autotopup.mandate.confirmed") == 1
    assert refunded_on(started["order_id"]) == [100]
    assert app.billing(account)["balance_micros"] == START  # the authorisation is never credited
    assert_books_balance()


def test_a_cancellation_at_the_bank_whose_webhook_is_lost_turns_auto_topup_off_within_a_day(app, account):
    authorised(app, account)
    wait_for_status(app, account, "confirmed")
    assert put_rule(app, account, enabled=True).status_code == 200
    app.faults(webhook_drop=True)
    app.control(f"/tokens/{token_id_of(account['org_id'])}", {"status": "cancelled"})
    assert mandate_status(app, account) == "confirmed"  # token.cancelled lost
    autotopup_once(now=utcnow() + mandates.FOLLOW_TOKEN_EVERY)
    found = settings(app, account)
    assert found["mandate"]["status"] == "cancelled" and found["enabled"] is False
    assert found["rule"]["disabled_reason"] == (
        "Auto top-up was turned off: the mandate was cancelled at your bank or UPI app."
    )
    assert len(notices(account["org_id"])) == 1
    autotopup_once(now=utcnow() + 2 * mandates.FOLLOW_TOKEN_EVERY)
    assert actions(account["org_id"]).count("autotopup.mandate.cancelled") == 1


def test_two_passes_at_once_confirm_and_refund_once(app, account):
    app.faults(webhook_drop=True)
    started = authorised(app, account)
    later = utcnow() + mandates.FOLLOW_PENDING_EVERY
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: autotopup_once(now=later), range(2)))
    assert sum(report.mandates_followed for report in reports) == 1
    assert [report.errors for report in reports] == [0, 0]
    assert mandate_status(app, account) == "confirmed"
    assert actions(account["org_id"]).count("autotopup.mandate.confirmed") == 1
    assert refunded_on(started["order_id"]) == [100]


def test_an_old_or_unpaid_pending_mandate_is_asked_about_less_and_then_left(app, account):
    start_mandate(app, account)  # checkout closed before paying: nothing to bind
    now = utcnow()
    assert autotopup_once(now=now + mandates.FOLLOW_PENDING_EVERY).mandates_followed == 1
    assert autotopup_once(now=now + 2 * mandates.FOLLOW_PENDING_EVERY).mandates_followed == 1
    # a day old: a tenth of its age between looks
    day = now + timedelta(days=1)
    assert autotopup_once(now=day).mandates_followed == 1
    assert autotopup_once(now=day + timedelta(hours=1)).mandates_followed == 0
    assert autotopup_once(now=day + timedelta(hours=3)).mandates_followed == 1
    assert autotopup_once(now=now + mandates.FOLLOW_PENDING_FOR + timedelta(hours=1)).mandates_followed == 0
    assert mandate_status(app, account) == "pending"


def test_check_again_asks_razorpay_for_the_person(app, account):
    app.faults(webhook_drop=True)
    started = authorised(app, account, "card")
    principal = accounts.authenticate(token=account["token"])
    mandates.check(principal=principal)
    found = settings(app, account)["mandate"]
    assert found["status"] == "confirmed" and "1111" in found["instrument"]
    assert refunded_on(started["order_id"]) == [100]
    mandates.check(principal=principal)  # a confirmed mandate: nothing to ask
    assert actions(account["org_id"]).count("autotopup.mandate.confirmed") == 1
