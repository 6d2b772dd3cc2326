"""The lists behind the console's overview figures: each holds exactly the rows its figure
counts (the same count and the same sum, followed page by page), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import select

from billing_app.db import read_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import EmailOutbox
from billing_app.services import metering, refunds, staff
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import lists, overview
from tests.factories import RUPEE, make_account, make_funded_key, paid_order, paying_account, set_balance, user_id_of
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


def every_row(key: str, window: str | None = None) -> list[lists.Row]:
    """The whole list, one row a page: the keyset has to carry it from each page to the next."""
    rows: list[lists.Row] = []
    cursor = None
    while True:
        page = lists.list_page(key=key, window=window, cursor=cursor, limit=1)
        rows += page.rows
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


def test_each_list_holds_what_its_figure_counts(app, as_staff):
    payers = [paying_account(app) for _ in range(2)]
    payments = []
    for payer, rupees in zip(payers, (500, 300), strict=True):
        order_id, paid = paid_order(app, payer, rupees)
        assert app.verify(payer, order_id, paid).status_code == 200
        payments.append(paid["razorpay_payment_id"])
    refund = get_gateway()._client().payment.refund(payments[0], {"amount": 20_000})
    refunds.apply_refund(refund_id=refund["id"])
    set_balance(make_account().principal.org_id, -5 * RUPEE)  # in debt: in no list of credit
    key = make_funded_key()
    metering.record_usage(
        api_key=key.secret, request_id="r1", model="sandbox-echo", prompt_tokens=9, completion_tokens=3
    )
    make_account(email="new@example.com", verified=False)  # its verification email waits in the outbox

    with acting_as(as_staff):
        figures = overview.overview()
        owed = every_row(overview.ORGS_IN_CREDIT)
        assert figures.balances_owed.count == len(owed) >= 4
        assert figures.balances_owed.amount_micros == sum(row.balance_micros for row in owed)  # type: ignore[union-attr]
        assert [row.org_id for row in owed] == sorted((row.org_id for row in owed), reverse=True)  # newest first
        for window, topups, refunded in (
            (overview.TODAY, figures.topups_today, figures.refunds_today),
            (overview.LAST_30_DAYS, figures.topups_30_days, figures.refunds_30_days),
        ):
            paid_rows = every_row(overview.TOPUPS, window)
            assert [row.payment_id for row in paid_rows] == payments[::-1]  # type: ignore[union-attr]
            assert topups.amount_paise == sum(row.amount_paise for row in paid_rows) == 80_000  # type: ignore[union-attr]
            refund_rows = every_row(overview.REFUNDS, window)
            assert refunded.count == len(refund_rows) == 1
            assert refunded.amount_micros == refund_rows[0].amount_micros == 200 * RUPEE  # type: ignore[union-attr]
            assert refund_rows[0].payment_id == payments[0]  # type: ignore[union-attr]
        active = every_row(overview.ACTIVE_ORGS)
        assert figures.active_orgs.count == len(active) == 3  # two payers, the key's org
        by_org = {row.org_id: row for row in active}  # type: ignore[union-attr]
        assert by_org[key.org_id].last_usage_day is not None and by_org[key.org_id].last_topup_at is None  # type: ignore[union-attr]
        assert by_org[payers[0]["org_id"]].last_topup_at is not None  # type: ignore[union-attr]
        backlog = every_row(overview.OUTBOX_BACKLOG)
        assert figures.outbox_backlog.count == len(backlog)
        assert "new@example.com" in {row.recipient for row in backlog}  # type: ignore[union-attr]


def test_the_backlog_shows_no_link_token(any_db, as_staff):
    make_account(email="new@example.com", verified=False)
    with read_session() as session:
        tokens = [json.loads(row.payload).get("link_token") for row in session.exec(select(EmailOutbox))]
    assert any(tokens)
    with acting_as(as_staff):
        page = lists.list_page(key=overview.OUTBOX_BACKLOG)
    shown = json.dumps([vars(row) for row in page.rows], default=str)
    assert "new@example.com" in shown and not any(token and token in shown for token in tokens)


def test_bad_keys_windows_and_cursors(any_db, as_staff):
    with acting_as(as_staff):
        for key in ("nope", overview.UNPAID_ORDERS, overview.RECONCILER):
            with pytest.raises(NotFound):
                lists.list_page(key=key)
        with pytest.raises(InvalidRequest) as bad:
            lists.list_page(key=overview.TOPUPS, window="7d")
        assert bad.value.details["field"] == "window"
        with pytest.raises(InvalidRequest):
            lists.list_page(key=overview.TOPUPS, cursor="x1")
        page = lists.list_page(key=overview.TOPUPS)
        assert (page.rows, page.next_cursor, page.window) == ([], None, overview.LAST_30_DAYS)
        assert lists.list_page(key=overview.ORGS_IN_CREDIT, window="today").window is None


def test_the_lists_are_staff_only(any_db):
    owner = make_account().principal
    for actor in (Actor(user_id=owner.user_id, org_id=owner.org_id, role="owner"), Actor.system()):
        with acting_as(actor), pytest.raises(NotFound):
            lists.list_page(key=overview.TOPUPS)
