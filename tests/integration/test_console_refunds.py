"""Refunds from the console, end to end over real HTTP: the service → the razorpay SDK (with
X-Refund-Idempotency) → the sandbox → signed refund.processed webhooks back to the app, which
debit each Razorpay refund once (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.errors import NegativeBalance, NotFound, RefundRefused
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.jobs.outbox import send_due
from billing_app.models import EmailKind, EmailOutbox, RefundRequest
from billing_app.services import audit, ledger, staff
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import refunds
from tests.factories import paid_order, paying_account, user_id_of
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app, wait_until

START = 100_000_000  # the signup credit
RUPEE = 1_000_000


@pytest.fixture
def app(any_db, mailbox, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


@pytest.fixture
def ops(app: LiveApp) -> Actor:
    app.signup("ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    return Actor(user_id=user_id_of("ops@example.com"), kind="staff", ip="10.9.0.1", user_agent="pytest")


def paid(app: LiveApp, amount: int = 500, **pay: Any) -> tuple[dict[str, Any], str]:
    """(account, Razorpay payment id): a ₹`amount` top-up, paid and credited."""
    account = paying_account(app)
    order_id, result = paid_order(app, account, amount, **pay)
    assert app.verify(account, order_id, result).status_code == 200
    return account, result["razorpay_payment_id"]


def balance(app: LiveApp, account: dict[str, Any]) -> int:
    return int(app.billing(account)["balance_micros"])


def sandbox_refunds(payment_id: str) -> list[dict[str, Any]]:
    return list(get_gateway()._client().payment.fetch_multiple_refund(payment_id)["items"])


def refund_as(actor: Actor, **kwargs: Any) -> refunds.RefundView:
    with acting_as(actor):
        return refunds.start_refund(**{"amount_paise": None, "reason": "customer asked", **kwargs})


def audit_actions(org_id: int) -> list[audit.AuditRow]:
    with acting_as(Actor.system()):
        return audit.list_events(org_id=org_id, limit=100).rows


def test_a_refund_started_twice_at_once_sends_one_refund_and_debits_once(app, ops):
    account, payment_id = paid(app)
    app.faults(webhook_duplicate=True)  # and refund.processed arrives twice meanwhile

    def start(_: int) -> refunds.RefundView:
        return contextvars.copy_context().run(refund_as, ops, payment_id=payment_id, amount_paise=20_000)

    with ThreadPoolExecutor(max_workers=6) as pool:
        views = list(pool.map(start, range(6)))
    assert len({view.id for view in views}) == 1 and sum(not view.repeated for view in views) == 1
    assert len({view.razorpay_refund_id for view in views}) == 1
    [refund] = sandbox_refunds(payment_id)
    assert refund["amount"] == 20_000 and refund["id"] == views[0].razorpay_refund_id
    wait_until(lambda: balance(app, account) == START + 300 * RUPEE, what="the refund debited")
    app.flush_webhooks()
    [debit] = credits_for(account["org_id"], "refund")
    assert debit.amount_micros == -200 * RUPEE and debit.payment_id == payment_id
    # Started again later (a retry, a second staff member): still the same refund.
    again = refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    assert again.repeated and again.id == views[0].id and again.debited
    assert len(sandbox_refunds(payment_id)) == 1
    rows = audit_actions(account["org_id"])
    [requested] = [row for row in rows if row.action == "refund.requested"]
    assert requested.actor_kind == "staff" and requested.actor_user_id == ops.user_id
    assert requested.after is not None and requested.after["reason"] == "customer asked"
    assert [row.action for row in rows].count("refund.debited") == 1
    assert_books_balance()


def test_the_customer_is_emailed_once_when_the_refund_starts(app, ops, mailbox):
    account, payment_id = paid(app)
    refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    with read_session() as session:
        queued = session.exec(select(EmailOutbox).where(col(EmailOutbox.kind) == EmailKind.REFUND_STARTED)).all()
    assert len(queued) == 1
    assert send_due().sent >= 1
    [message] = [m for m in mailbox.messages if str(m["Subject"]).startswith("Refund")]
    assert (
        str(message["Subject"]) == "Refund of ₹200.00 started"
        and message["To"].addresses[0].addr_spec == (account["email"])
    )
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and payment_id in text.get_content() and "customer asked" not in text.get_content()


def test_refund_processed_delivered_twice_debits_once(app, ops):
    account, payment_id = paid(app)
    app.faults(webhook_duplicate=True)
    view = refund_as(ops, payment_id=payment_id, amount_paise=50_000)
    wait_until(lambda: balance(app, account) == START, what="the refund debited")
    app.flush_webhooks()
    assert len(credits_for(account["org_id"], "refund")) == 1
    assert balance(app, account) == START
    with acting_as(ops):
        assert refunds.get_refund(request_id=view.id).debited
    assert_books_balance()


def test_a_partial_refund_then_the_rest_then_nothing_remains(app, ops):
    account, payment_id = paid(app)
    first = refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    rest = refund_as(ops, payment_id=payment_id)  # no amount: all that remains
    assert not rest.repeated and rest.amount_paise == 30_000 and rest.credits_micros == 300 * RUPEE
    assert first.razorpay_refund_id != rest.razorpay_refund_id
    wait_until(lambda: balance(app, account) == START, what="both refunds debited")
    assert sorted(e.amount_micros for e in credits_for(account["org_id"], "refund")) == [-300 * RUPEE, -200 * RUPEE]
    # "Refund all" again soon after is the same request, not a new one
    assert refund_as(ops, payment_id=payment_id).id == rest.id
    assert len(sandbox_refunds(payment_id)) == 2
    assert_books_balance()


def test_more_than_remains_is_refused_in_razorpays_words(app, ops):
    account, payment_id = paid(app)
    refund_as(ops, payment_id=payment_id, amount_paise=40_000)
    with pytest.raises(RefundRefused) as refused:
        refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    assert "The refund amount provided is greater than amount captured" in refused.value.message
    with read_session() as session:
        failed = session.exec(select(RefundRequest).where(col(RefundRequest.status) == "failed")).one()
    assert failed.error is not None and "greater than amount captured" in failed.error
    assert "refund.refused" in [row.action for row in audit_actions(account["org_id"])]
    wait_until(lambda: balance(app, account) == START + 100 * RUPEE, what="the first refund debited")
    assert len(sandbox_refunds(payment_id)) == 1
    # The refused one does not stand in the way of a correct one.
    assert refund_as(ops, payment_id=payment_id, amount_paise=10_000).status == "sent"


def test_a_refund_below_zero_needs_confirming(app, ops):
    account, payment_id = paid(app)
    ledger.add_manual_entry(org_id=account["org_id"], amount_micros=-550 * RUPEE, reason="spent")
    assert balance(app, account) == 50 * RUPEE
    with pytest.raises(NegativeBalance) as refused:
        refund_as(ops, payment_id=payment_id, amount_paise=20_000)
    assert "-₹150.00" in refused.value.message and "confirm_negative" in refused.value.message
    assert sandbox_refunds(payment_id) == []
    view = refund_as(ops, payment_id=payment_id, amount_paise=20_000, confirm_negative=True)
    assert view.status == "sent"
    wait_until(lambda: balance(app, account) == -150 * RUPEE, what="the refund debited")
    assert_books_balance()


def test_only_staff_refund_and_a_reason_is_required(app, ops):
    account, payment_id = paid(app)
    owner = Actor(user_id=user_id_of(account["email"]), org_id=account["org_id"], role="owner")
    for actor in (owner, Actor.system()):
        with pytest.raises(NotFound):
            refund_as(actor, payment_id=payment_id)
    with pytest.raises(Exception) as blank:
        refund_as(ops, payment_id=payment_id, reason="  ")
    assert getattr(blank.value, "details", {}).get("field") == "reason"
    with pytest.raises(NotFound):
        refund_as(ops, payment_id="pay_DoesNotExist1")
    assert sandbox_refunds(payment_id) == []
