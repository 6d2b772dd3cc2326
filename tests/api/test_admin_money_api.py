"""The console's money routes over HTTP (the sandbox mounted): staff only, 404 to anyone else;
the approval rule and the refund errors in the envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from billing_app.services import staff
from tests.api.conftest import assert_error
from tests.factories import paid_order, paying_account
from tests.payments_support import LiveApp, live_app, wait_until

RUPEE = 1_000_000
OVER_LIMIT = 10_001 * RUPEE

ROUTES = [
    ("post", "/admin/orgs/1/manual-entries", {"amount_micros": RUPEE, "reason": "x"}),
    ("get", "/admin/approvals", None),
    ("post", "/admin/approvals/1/approve", {}),
    ("post", "/admin/approvals/1/reject", {"reason": "x"}),
    ("post", "/admin/payments/pay_X/refunds", {"reason": "x"}),
]


@pytest.fixture
def app(db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


def staff_headers(app: LiveApp, email: str) -> dict[str, str]:
    account = app.signup(email)
    staff.set_staff(email=email, staff=True)
    return dict(account["headers"])


def call(app: LiveApp, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    return app.http.request(method, f"{app.url}{path}", json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_anyone_but_staff_gets_404(app, method, path, body):
    customer = app.signup(f"customer-{len(path)}-{method}@example.com")
    for headers in ({}, customer["headers"], {"Authorization": "Bearer nonsense"}):
        assert_error(call(app, method, path, body, headers), 404, "not_found", "not_found_error")


def test_manual_entries_and_approvals(app):
    ops1, ops2 = staff_headers(app, "ops1@example.com"), staff_headers(app, "ops2@example.com")
    customer = app.signup("acme@example.com")
    path = f"/admin/orgs/{customer['org_id']}/manual-entries"

    small = call(app, "post", path, {"amount_micros": 5 * RUPEE, "reason": "goodwill"}, ops1)
    assert small.status_code == 201, small.text
    assert small.json()["status"] == "posted" and small.json()["entry_id"]
    big = call(app, "post", path, {"amount_micros": OVER_LIMIT, "reason": "wire transfer"}, ops1)
    assert big.status_code == 201 and big.json()["status"] == "pending"
    request_id = big.json()["id"]

    pending = call(app, "get", "/admin/approvals", None, ops2).json()
    assert [item["id"] for item in pending["items"]] == [request_id]
    assert pending["approval_above_micros"] == 10_000 * RUPEE
    assert pending["items"][0]["requested_by"] == "ops1@example.com"

    own = call(app, "post", f"/admin/approvals/{request_id}/approve", {}, ops1)
    assert_error(own, 403, "forbidden")
    approved = call(app, "post", f"/admin/approvals/{request_id}/approve", {}, ops2)
    assert approved.status_code == 200 and approved.json()["status"] == "posted", approved.text
    assert approved.json()["decided_by"] == "ops2@example.com"
    assert not call(app, "post", f"/admin/approvals/{request_id}/approve", {}, ops2).json()["changed_now"]
    assert_error(call(app, "post", f"/admin/approvals/{request_id}/reject", {"reason": "late"}, ops2), 409, "conflict")
    assert app.billing(customer)["balance_micros"] == 100 * RUPEE + 5 * RUPEE + OVER_LIMIT

    blank = assert_error(call(app, "post", path, {"amount_micros": RUPEE, "reason": " "}, ops1), 422, "invalid_request")
    assert blank["field"] == "reason"
    assert_error(call(app, "post", path, {"amount_micros": RUPEE}, ops1), 422, "invalid_request")
    negative = call(app, "post", path, {"amount_micros": -OVER_LIMIT * 2, "reason": "claw back"}, ops1)
    error = assert_error(negative, 409, "negative_balance", "billing_error")
    assert "confirm_negative" in error["message"] and error["balance_after_micros"] < 0
    assert_error(call(app, "post", "/admin/approvals/999/approve", {}, ops2), 404, "not_found")


def test_refunds(app):
    ops = staff_headers(app, "ops@example.com")
    account = paying_account(app)
    order_id, paid = paid_order(app, account, 500)
    assert app.verify(account, order_id, paid).status_code == 200
    path = f"/admin/payments/{paid['razorpay_payment_id']}/refunds"

    first = call(app, "post", path, {"amount": 200, "reason": "customer asked"}, ops)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "sent" and body["amount_paise"] == 20_000 and body["refund_id"].startswith("rfnd_")
    again = call(app, "post", path, {"amount": "200.00", "reason": "customer asked"}, ops).json()
    assert again["repeated"] and again["refund_id"] == body["refund_id"]
    wait_until(lambda: app.billing(account)["balance_micros"] == 400 * RUPEE, what="the refund debited")

    too_much = assert_error(call(app, "post", path, {"amount": 400, "reason": "all"}, ops), 400, "refund_refused")
    assert "greater than amount captured" in too_much["message"]
    smaller = call(app, "post", path, {"amount": 150, "reason": "part of the rest"}, ops)
    assert smaller.status_code == 201 and not smaller.json()["repeated"]
    odd = assert_error(call(app, "post", path, {"amount": 1.005, "reason": "x"}, ops), 422, "invalid_request")
    assert odd["field"] == "amount"
    assert_error(call(app, "post", "/admin/payments/pay_Nope123456/refunds", {"reason": "x"}, ops), 404, "not_found")
