"""The money actions in the audit log: the order by the person who made it (with their IP and
user agent), the credit by the system (a webhook), a manual entry; each row written with the
change, one per change however often the payment is reported."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from billing_app.services import audit, ledger
from tests.factories import make_account, paid_order, paying_account
from tests.payments_support import LiveApp, credits_for, live_app, wait_until

FIVE_HUNDRED = 500_000_000


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


def events(org_id: int) -> dict[str, list[audit.AuditRow]]:
    found: dict[str, list[audit.AuditRow]] = {}
    for row in audit.list_events(org_id=org_id, limit=100).rows:
        found.setdefault(row.action, []).append(row)
    return found


def test_an_order_is_audited_as_its_maker_and_the_credit_as_the_system_once(app):
    account: dict[str, Any] = paying_account(app)
    order_id, paid = paid_order(app, account, 500)
    app.http.post(
        f"{app.url}/me/billing/orders/{order_id}/verify",
        json={
            "razorpay_payment_id": paid["razorpay_payment_id"],
            "razorpay_order_id": order_id,
            "razorpay_signature": paid["razorpay_signature"],
        },
        headers=account["headers"],
    )
    wait_until(lambda: len(credits_for(account["org_id"])) == 1, what="the credit")
    wait_until(lambda: "payment.credited" in events(account["org_id"]), what="the audit row")

    found = events(account["org_id"])
    [order] = found["order.created"]
    assert order.actor_email == account["email"] and order.actor_kind == "user"
    assert order.after == {"amount_units": 500, "credits_micros": FIVE_HUNDRED, "promo_code": None}
    [credited] = found["payment.credited"]  # the callback and the webhooks: one credit, one row
    assert credited.subject == f"payment:{paid['razorpay_payment_id']}"
    assert credited.after is not None and credited.after["credits_micros"] == FIVE_HUNDRED


def test_a_manual_entry_is_audited_with_its_reason(db):
    org_id = make_account().principal.org_id
    entry = ledger.add_manual_entry(org_id=org_id, amount_micros=-2_500_000, reason="duplicate usage refund")
    [row] = events(org_id)["ledger.manual_entry"]
    assert row.subject == f"entry:{entry.id}" and row.actor_kind == "system"
    assert row.after == {"amount_micros": -2_500_000, "reason": "duplicate usage refund"}
