"""Promo codes: every rule, and the limits held by the database when paid orders
carrying the same code settle at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from billing_app.cli import main as cli_main
from billing_app.db import read_session
from billing_app.errors import InvalidRequest, PromoInvalid, PromoRedeemed, RateLimited
from billing_app.models import PromoCode, PromoRedemption
from billing_app.models.types import utcnow
from billing_app.services import promos
from tests.factories import make_account, paying_account
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app

RUPEE = 1_000_000
_n = itertools.count()


def check(org_id: int, code: str, amount: int = 500, user_id: int = 1) -> promos.PromoQuote:
    return promos.check_promo(org_id=org_id, user_id=user_id, code=code, amount=amount)


def test_flat_and_percent_bonuses(db):
    org = make_account().principal
    promos.create_promo(code="FLAT50", flat_bonus_micros=50 * RUPEE)
    promos.create_promo(code="TENPC", percent=10, cap_micros=60 * RUPEE)
    assert check(org.org_id, "flat50").bonus_micros == 50 * RUPEE
    assert check(org.org_id, "TENPC", 300).bonus_micros == 30 * RUPEE
    assert check(org.org_id, "TENPC", 1000).bonus_micros == 60 * RUPEE  # capped


def test_codes_match_case_insensitively_ignoring_spaces(db):
    org = make_account().principal
    promos.create_promo(code=" Welcome ", flat_bonus_micros=RUPEE)
    assert check(org.org_id, "  wElCoMe ").code == "WELCOME"


@pytest.mark.parametrize(
    "rules,amount,message",
    [
        ({}, 500, "not valid"),  # unknown: the code is not created
        ({"active": False}, 500, "not valid"),
        ({"ends_at": utcnow() - timedelta(seconds=1)}, 500, "expired"),
        ({"starts_at": utcnow() + timedelta(hours=1)}, 500, "not active yet"),
        ({"min_topup_units": 600}, 500, "at least ₹600"),
    ],
)
def test_promo_invalid_rules(db, rules, amount, message):
    org = make_account().principal
    if rules:
        promos.create_promo(code="RULES", flat_bonus_micros=RUPEE, **rules)
    with pytest.raises(PromoInvalid, match=message):
        check(org.org_id, "RULES", amount)


def test_exhausted_code_is_invalid(db, monkeypatch):
    org = make_account().principal
    promos.create_promo(code="ONCE", flat_bonus_micros=RUPEE, max_redemptions=1)
    from billing_app.db import write_session

    with write_session() as session:
        promo = session.exec(select(PromoCode)).one()
        promo.redeemed_count = 1
    with pytest.raises(PromoInvalid, match="fully redeemed"):
        check(org.org_id, "ONCE")


def test_bad_rules_are_refused(db):
    with pytest.raises(InvalidRequest):
        promos.create_promo(code="BOTH", flat_bonus_micros=RUPEE, percent=5)
    with pytest.raises(InvalidRequest):
        promos.create_promo(code="NEITHER")
    with pytest.raises(InvalidRequest):
        promos.create_promo(code="has space", flat_bonus_micros=RUPEE)
    with pytest.raises(InvalidRequest):
        promos.create_promo(code="CAPFLAT", flat_bonus_micros=RUPEE, cap_micros=RUPEE)


def test_promo_check_is_rate_limited_per_user(db):
    org = make_account().principal
    for _ in range(10):
        with pytest.raises(PromoInvalid):
            check(org.org_id, f"GUESS{next(_n)}", user_id=org.user_id)
    with pytest.raises(RateLimited):
        check(org.org_id, "GUESS", user_id=org.user_id)


def test_cli_create_list_disable(db, capsys):
    assert cli_main(["promo", "create", "diwali", "--percent", "10", "--cap", "100", "--limit", "5"]) == 0
    assert cli_main(["promo", "list"]) == 0
    assert "DIWALI" in capsys.readouterr().out
    assert cli_main(["promo", "disable", "DIWALI"]) == 0
    org = make_account().principal
    with pytest.raises(PromoInvalid):
        check(org.org_id, "diwali")
    assert cli_main(["promo", "disable", "NOPE"]) == 2


# --- consumed at capture, over real HTTP ---------------------------------------------


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)  # settle only through the paths the test drives
        yield running


def redemptions() -> list[PromoRedemption]:
    with read_session() as session:
        return list(session.exec(select(PromoRedemption)))


def test_bonus_is_its_own_entry_and_only_after_capture(app):
    promos.create_promo(code="WELCOME50", flat_bonus_micros=50 * RUPEE)
    account = paying_account(app)
    order = app.new_order(account, 500, promo_code="welcome50")
    assert order["bonus_micros"] == 50 * RUPEE
    assert redemptions() == []  # nothing consumed before the payment captures
    failed = app.pay(order["order_id"], outcome="failed")
    assert "error" in failed and redemptions() == []
    paid = app.pay(order["order_id"])
    assert app.verify(account, order["order_id"], paid).json()["balance_micros"] == 650 * RUPEE
    [bonus] = credits_for(account["org_id"], "promo")
    assert bonus.amount_micros == 50 * RUPEE and bonus.payment_id == paid["razorpay_payment_id"]
    assert "WELCOME50" in bonus.description
    assert len(redemptions()) == 1
    with pytest.raises(PromoRedeemed):
        promos.check_promo(org_id=account["org_id"], user_id=account["user_id"], code="WELCOME50", amount=500)
    assert_books_balance()


def test_bad_code_fails_the_order_before_any_money_moves(app):
    account = paying_account(app)
    response = app.order(account, 500, promo_code="NOSUCH")
    assert response.status_code == 400 and response.json()["error"]["code"] == "promo_invalid"
    promos.create_promo(code="BIG", flat_bonus_micros=RUPEE, min_topup_units=1000)
    response = app.order(account, 500, promo_code="big")
    assert response.json()["error"]["code"] == "promo_invalid"


def test_two_paid_orders_with_one_code_settling_together_get_one_bonus(app):
    promos.create_promo(code="ONEEACH", flat_bonus_micros=25 * RUPEE)
    account = paying_account(app)
    orders = [app.new_order(account, 200, promo_code="ONEEACH") for _ in range(2)]
    payments = [app.pay(order["order_id"]) for order in orders]
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(
            pool.map(
                lambda pair: app.verify(account, pair[0]["order_id"], pair[1]).status_code,
                zip(orders, payments, strict=True),
            )
        )
    assert statuses == [200, 200]
    assert len(credits_for(account["org_id"], "promo")) == 1
    checkouts = credits_for(account["org_id"])
    assert sorted(e.amount_micros for e in checkouts) == [200 * RUPEE, 200 * RUPEE]  # both credited in full
    assert sum("not applied" in e.description for e in checkouts) == 1  # and the history says so
    assert app.billing(account)["balance_micros"] == (100 + 400 + 25) * RUPEE
    assert_books_balance()


def test_total_limit_is_never_exceeded_under_concurrency(app):
    promos.create_promo(code="FIRST3", flat_bonus_micros=10 * RUPEE, max_redemptions=3)
    accounts = [paying_account(app) for _ in range(6)]
    orders = [app.new_order(account, 100, promo_code="FIRST3") for account in accounts]
    payments = [app.pay(order["order_id"]) for order in orders]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda i: app.verify(accounts[i], orders[i]["order_id"], payments[i]), range(6)))
    assert len(redemptions()) == 3
    with read_session() as session:
        assert session.exec(select(PromoCode.redeemed_count)).one() == 3
    bonuses = sum(len(credits_for(a["org_id"], "promo")) for a in accounts)
    assert bonuses == 3
    assert all(len(credits_for(a["org_id"])) == 1 for a in accounts)
    assert_books_balance()


def test_promo_redeemed_over_the_api(app):
    promos.create_promo(code="AGAIN", flat_bonus_micros=RUPEE)
    account = paying_account(app)
    order = app.new_order(account, 100, promo_code="AGAIN")
    app.verify(account, order["order_id"], app.pay(order["order_id"]))
    check = app.http.post(
        f"{app.url}/me/billing/promo/check", json={"code": "again", "amount": 100}, headers=account["headers"]
    )
    assert check.status_code == 400
    assert check.json()["error"] == {
        "code": "promo_redeemed",
        "message": "Your organisation has already used this promo code.",
        "type": "billing_error",
    }
    assert app.order(account, 100, promo_code="AGAIN").json()["error"]["code"] == "promo_redeemed"
