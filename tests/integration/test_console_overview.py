"""The console's overview figures against real top-ups, refunds, usage, webhooks, orders and
emails, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session
from billing_app.errors import NotFound
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.jobs import reconciler
from billing_app.models import Org
from billing_app.models.types import utcnow
from billing_app.services import api_keys, metering, refunds, staff, webhooks
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import overview
from tests.factories import RUPEE, make_account, make_funded_key, paid_order, paying_account, set_balance, user_id_of
from tests.golden_payloads import about, signed
from tests.payments_support import LiveApp, live_app


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)  # the app hears of payments only from the checkout callback
        yield running


@pytest.fixture
def as_staff() -> Actor:
    make_account(email="ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    return Actor(user_id=user_id_of("ops@example.com"), kind="staff")


def figures(actor: Actor, **kw) -> overview.Overview:
    with acting_as(actor):
        return overview.overview(**kw)


def positive_balances() -> int:
    with read_session() as session:
        balances = session.execute(sa.select(col(Org.balance_micros))).scalars()
        return sum(balance for balance in balances if balance > 0)


def test_the_overview_counts_what_happened(app, as_staff):
    before = figures(as_staff)
    assert before.topups_today.count == 0 and before.refunds_30_days.count == 0
    assert before.reconciler.last_run_at is None
    assert before.reconciler.list_key == overview.RECONCILER

    # a ₹500 top-up, then ₹200 of it refunded (the refund.processed path debits it)
    payer = paying_account(app)
    order_id, paid = paid_order(app, payer, 500)
    assert app.verify(payer, order_id, paid).status_code == 200
    refund = get_gateway()._client().payment.refund(paid["razorpay_payment_id"], {"amount": 20_000})
    refunds.apply_refund(refund_id=refund["id"])
    # an org in debt does not lower what is owed
    in_debt = make_account().principal.org_id
    set_balance(in_debt, -5 * RUPEE)
    # an org that used the API, none that only signed up
    key = make_funded_key()
    metering.record_usage(
        api_key=key.secret, request_id="r1", model="sandbox-echo", prompt_tokens=10, completion_tokens=5
    )
    # an order left unpaid, a forged webhook, a signed one not processed yet
    app.new_order(payer, 300)
    forged = app.http.post(f"{app.url}/webhooks/razorpay", content=b"{}", headers={"x-razorpay-signature": "0" * 64})
    assert forged.status_code == 400
    body = about("payment.captured", order=order_id, payment=paid["razorpay_payment_id"])
    webhooks.receive(raw_body=body, signature=signed(body), event_id="evt_Waiting000001")
    # an email not sent yet: a sign-up whose verification link is still in the outbox
    make_account(verified=False)

    now = figures(as_staff)
    for figure in (now.topups_today, now.topups_30_days):
        assert (figure.count, figure.amount_paise, figure.list_key) == (1, 50_000, overview.TOPUPS)
    for figure in (now.refunds_today, now.refunds_30_days):
        assert (figure.count, figure.amount_micros, figure.list_key) == (1, 200 * RUPEE, overview.REFUNDS)
    assert now.balances_owed.amount_micros == positive_balances()
    assert now.balances_owed.count == before.balances_owed.count + 2  # the payer, the key's org: not debt, not ₹0
    assert now.active_orgs.count == 2  # the payer (a top-up) and the key's org (usage)
    assert now.unpaid_orders.count == 0  # made a moment ago: not yet 15 minutes
    assert now.webhooks_failed.count == 1 and now.webhooks_failed.list_key == overview.WEBHOOKS_FAILED
    assert now.webhooks_unprocessed.count == 1 and now.webhooks_unprocessed.oldest_at is not None
    assert now.outbox_backlog.count == before.outbox_backlog.count + 1 and now.outbox_backlog.oldest_at

    later = figures(as_staff, now=utcnow() + overview.UNPAID_AFTER + timedelta(minutes=1))
    assert later.unpaid_orders.count == 1 and later.unpaid_orders.oldest_at is not None

    reconciler.reconcile_once(older_than_seconds=3600)
    ran = figures(as_staff).reconciler
    assert ran.last_run_at is not None and abs(ran.last_run_at - utcnow()) < timedelta(minutes=1)
    assert ran.holder


def test_the_overview_is_staff_only(any_db):
    owner = make_account().principal
    for actor in (Actor(user_id=owner.user_id, org_id=owner.org_id, role="owner"), Actor.system()):
        with acting_as(actor), pytest.raises(NotFound):
            overview.overview()


def test_a_key_spending_counts_its_org_active(any_db, as_staff):
    key = make_funded_key()
    assert figures(as_staff).active_orgs.count == 0
    metering.record_usage(
        api_key=key.secret, request_id="r1", model="sandbox-echo", prompt_tokens=1, completion_tokens=1
    )
    assert figures(as_staff).active_orgs.count == 1
    api_keys.revoke_key(org_id=key.org_id, key_id=key.created.key.id)  # still active: it spent this month
    assert figures(as_staff).active_orgs.count == 1
