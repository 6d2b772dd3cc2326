"""Payments needing attention (services/console/attention.py), against the Razorpay sandbox
over real HTTP: "check" and "process again" credit a captured payment once, whatever else
reports it and however often they are pressed; each action writes an audit row with the
staff member and the reason; anyone not staff gets NotFound (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session
from billing_app.errors import NotFound, SignatureInvalid
from billing_app.models import AuditEvent, WebhookEvent
from billing_app.sandbox import sign
from billing_app.services import staff, webhooks
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import attention, catalog
from tests.factories import paid_order, paying_account, user_id_of
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app, wait_until

START = 100_000_000
FIVE_HUNDRED = 500_000_000
NOW = timedelta(0)


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


@pytest.fixture
def as_staff(app: LiveApp) -> Iterator[int]:
    app.signup("ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    user_id = user_id_of("ops@example.com")
    with acting_as(Actor(user_id=user_id, kind="staff")):
        yield user_id


def balance(app: LiveApp, account: dict) -> int:
    return app.billing(account)["balance_micros"]


def audit_rows(action: str) -> list[AuditEvent]:
    with read_session() as session:
        query = select(AuditEvent).where(col(AuditEvent.action) == action).order_by(col(AuditEvent.id))
        return list(session.exec(query))


def stored_event(order_id: str, *, event: str = "payment.captured", signature_ok: bool = True) -> int:
    """A delivery stored the way POST /webhooks/razorpay stores it, not processed yet."""
    body = json.dumps(
        {"entity": "event", "event": event, "payload": {"payment": {"entity": {"id": "pay_x", "order_id": order_id}}}}
    ).encode()
    secret = get_settings().webhook_secret.get_secret_value() if signature_ok else "wrong secret"
    received = webhooks.receive(raw_body=body, signature=sign(secret, body), event_id=f"evt_{order_id}_{event}")
    assert received.event_row_id is not None
    return received.event_row_id


def in_threads(*calls) -> list:
    """Each call at once, in its own thread, as whoever acts here (a copy of the context each)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [future.result() for future in futures]


def test_check_credits_a_captured_order_once_even_when_the_webhook_arrives_too(app, as_staff):
    account = paying_account(app)
    app.faults(webhook_drop=True)  # Razorpay took the money; nobody told us
    order_id, _ = paid_order(app, account)
    unpaid_id = app.new_order(account)["order_id"]  # opened checkout, never paid
    listed = {order.razorpay_order_id: order for order in attention.unpaid_orders(older_than=NOW)}
    assert set(listed) == {order_id, unpaid_id} and listed[order_id].amount_paise == 50_000
    assert attention.unpaid_orders() == []  # nothing is 15 minutes old yet

    first, second = in_threads(
        lambda: attention.check_order(razorpay_order_id=order_id, reason="customer says paid"),
        lambda: attention.check_order(razorpay_order_id=order_id, reason="customer says paid"),
    )
    assert first.status == second.status == "paid"
    assert [first.credited_now, second.credited_now].count(True) == 1
    assert balance(app, account) == START + FIVE_HUNDRED

    app.faults(webhook_drop=False)  # now the webhooks arrive as well
    assert app.sandbox_webhooks()
    for delivery in app.sandbox_webhooks():
        app.control(f"/webhooks/{delivery['event_id']}/redeliver")
    app.flush_webhooks()
    wait_until(lambda: _events() and all(e.processed_at for e in _events()), what="webhooks processed")
    checked = attention.check_all_orders(reason="sweep", older_than=NOW)
    assert [(r.razorpay_order_id, r.status) for r in checked.results] == [(unpaid_id, "pending")]
    assert checked.credited == 0 and checked.pending == 1
    assert balance(app, account) == START + FIVE_HUNDRED
    assert len(credits_for(account["org_id"])) == 1
    assert_books_balance()

    rows = audit_rows("order.checked")
    assert len(rows) == 3 and {row.actor_user_id for row in rows} == {as_staff}
    assert {row.actor_kind for row in rows} == {"staff"} and {row.org_id for row in rows} == {account["org_id"]}
    outcomes = sorted(json.loads(row.after or "{}")["credited_now"] for row in rows)
    assert outcomes == [False, False, True]
    assert json.loads(rows[0].after or "{}")["reason"] == "customer says paid"
    [credited] = audit_rows("payment.credited")
    assert credited.actor_user_id == as_staff  # the credit says who asked for it


def _events() -> list[WebhookEvent]:
    with read_session() as session:
        return list(session.exec(select(WebhookEvent).where(col(WebhookEvent.signature_ok).is_(True))))


def test_process_again_twice_credits_once(app, as_staff):
    account = paying_account(app)
    app.faults(webhook_drop=True)
    order_id, _ = paid_order(app, account)
    event_id = stored_event(order_id)
    app.faults(api_error=500)  # the worker's try meets a Razorpay outage: left unprocessed
    assert webhooks.process(event_row_id=event_id) is True
    app.faults(api_error=None)
    [listed] = attention.failed_webhooks(older_than=NOW)
    assert listed.id == event_id and listed.problem == "unprocessed" and listed.error
    assert json.loads(listed.raw_body)["payload"]["payment"]["entity"]["order_id"] == order_id

    results = in_threads(
        lambda: attention.process_again(event_row_id=event_id, reason="Razorpay was down"),
        lambda: attention.process_again(event_row_id=event_id, reason="Razorpay was down"),
    )
    assert "processed" in {r.outcome for r in results} <= {"processed", "busy"}
    again = attention.process_again(event_row_id=event_id, reason="once more")
    assert again.outcome == "processed"
    assert balance(app, account) == START + FIVE_HUNDRED
    assert len(credits_for(account["org_id"])) == 1
    assert attention.failed_webhooks(older_than=NOW) == []
    rows = audit_rows("webhook.reprocessed")
    assert len(rows) == 3 and {(row.actor_user_id, row.org_id) for row in rows} == {(as_staff, None)}
    assert json.loads(rows[-1].after or "{}")["reason"] == "once more"
    assert_books_balance()


def test_failed_processing_and_bad_signatures_are_listed_and_processed_again(app, as_staff):
    broken = stored_event("order_nosuch")
    assert webhooks.process(event_row_id=broken) is True  # an order we never made: fails for good
    with pytest.raises(SignatureInvalid):
        stored_event("order_forged", signature_ok=False)
    listed = {event.problem: event for event in attention.failed_webhooks(older_than=NOW)}
    assert set(listed) == {"processing", "signature"}
    assert listed["processing"].error.startswith("not_found")
    assert "bad signature" in (listed["signature"].error or "")
    assert [e.problem for e in attention.failed_webhooks(older_than=NOW, problem="signature")] == ["signature"]

    done = attention.process_all_again(reason="after the deploy", older_than=NOW)
    assert sorted(r.outcome for r in done) == ["failed", "signature_invalid"]
    assert len(attention.failed_webhooks(older_than=NOW)) == 2  # still needing attention
    assert len(audit_rows("webhook.reprocessed")) == 2
    with pytest.raises(NotFound):
        attention.process_again(event_row_id=10**9, reason="x")


@pytest.mark.parametrize(
    "call",
    [
        lambda: attention.unpaid_orders(),
        lambda: attention.check_order(razorpay_order_id="order_x", reason="x"),
        lambda: attention.check_all_orders(reason="x"),
        lambda: attention.failed_webhooks(),
        lambda: attention.process_again(event_row_id=1, reason="x"),
        lambda: attention.process_all_again(reason="x"),
    ],
)
@pytest.mark.parametrize("actor", [Actor(user_id=1, org_id=1, role="owner"), Actor(ip="10.0.0.1"), Actor.system()])
def test_only_staff_reach_the_attention_services(db, call, actor):
    with acting_as(actor), pytest.raises(NotFound):
        call()


def test_a_promo_redeemed_through_a_check_shows_in_the_promo_list(app, as_staff):
    catalog.create_promo(code="WELCOME50", reason="launch", flat_bonus_micros=50_000_000)
    account = paying_account(app)
    app.faults(webhook_drop=True)
    order_id, _ = paid_order(app, account, promo_code="WELCOME50")
    assert attention.check_order(razorpay_order_id=order_id, reason="paid, not credited").credited_now
    [promo] = catalog.list_promos()
    assert (promo.redemptions, promo.bonus_granted_micros) == (1, 50_000_000)
    assert balance(app, account) == START + FIVE_HUNDRED + 50_000_000
