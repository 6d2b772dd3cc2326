"""Finding an org in the console by each thing a customer may quote, and the org's page, on
SQLite and PostgreSQL; the same over the admin API with a staff member's token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing_app.errors import InvalidRequest, NotFound
from billing_app.services import alerts, api_keys, staff
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import orgs
from tests.factories import RUPEE, make_account, make_member, paid_order, paying_account, user_id_of
from tests.payments_support import LiveApp, live_app


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)
        yield running


@pytest.fixture
def ops() -> dict:
    signed = make_account(email="ops@example.com", org_name="Operators")
    staff.set_staff(email="ops@example.com", staff=True)
    return {"actor": Actor(user_id=user_id_of("ops@example.com"), kind="staff"), "token": signed.token}


@pytest.fixture
def customer(app) -> dict:
    """Zephyr Tea's owner paid ₹500 (credited) and left a ₹300 order unpaid; a developer joined."""
    account = paying_account(app, "asha.rao@zephyr.example")
    order_id, paid = paid_order(app, account, 500)
    assert app.verify(account, order_id, paid).status_code == 200
    unpaid = app.new_order(account, 300)["order_id"]
    make_member(account["org_id"], "developer", email="dev@zephyr.example")
    return {
        **account,
        "order_id": order_id,
        "payment_id": paid["razorpay_payment_id"],
        "unpaid_order_id": unpaid,
    }


def search(ops: dict, q: str) -> list[orgs.OrgHit]:
    with acting_as(ops["actor"]):
        return orgs.search(q=q)


def found(ops: dict, q: str) -> dict[int, tuple[str, ...]]:
    return {hit.id: hit.matched for hit in search(ops, q)}


def test_each_search_key_finds_the_org(app, ops, customer):
    org_id = customer["org_id"]
    make_account(org_name="Zephyr Coffee")  # another org whose name matches "zephyr"
    assert found(ops, "ACME").get(org_id) == ("name",)  # live-app sign-ups name their org "Acme"
    assert found(ops, "ASHA.RAO@Zephyr.example") == {org_id: ("email",)}  # any case
    assert found(ops, "dev@zephyr") == {org_id: ("email",)}  # any member, part of the address
    assert found(ops, str(org_id))[org_id] == ("org_id",)
    assert found(ops, customer["payment_id"]) == {org_id: ("payment_id",)}
    assert found(ops, f"  {customer['order_id']} ") == {org_id: ("order_id",)}
    assert found(ops, customer["unpaid_order_id"]) == {org_id: ("order_id",)}  # a pending order too
    assert set(found(ops, "zephyr").values()) == {("email",), ("name",)}  # two orgs, each for its reason
    [hit] = search(ops, customer["payment_id"])
    assert hit.owner_email == "asha.rao@zephyr.example" and hit.name == "Acme"
    assert hit.balance_micros == 600 * RUPEE and hit.currency == "INR"


def test_a_search_matches_literally_and_is_checked(app, ops, customer):
    assert search(ops, "%") == [] and search(ops, "_") == []  # LIKE's wildcards are plain characters
    assert search(ops, "pay_NoSuchPayment") == []
    assert search(ops, "99999999999999999999") == []  # not a BIGINT: no org id, no error
    for bad in ("", "   ", "x" * (orgs.MAX_QUERY + 1)):
        with acting_as(ops["actor"]), pytest.raises(InvalidRequest) as raised:
            orgs.search(q=bad)
        assert raised.value.details["field"] == "q"


def test_the_org_page_shows_everything(app, ops, customer):
    org_id = customer["org_id"]
    key = api_keys.create_key(org_id=org_id, name="web", monthly_budget_micros=50 * RUPEE)
    alerts.set_threshold(org_id=org_id, threshold_micros=150 * RUPEE)
    with acting_as(ops["actor"]):
        page = orgs.org_page(org_id=org_id)
    assert (page.name, page.balance_micros, page.currency) == ("Acme", 600 * RUPEE, "INR")
    assert {(m.email, m.role) for m in page.members.members} == {
        ("asha.rao@zephyr.example", "owner"),
        ("dev@zephyr.example", "developer"),
    }
    assert page.alerts.threshold_micros == 150 * RUPEE
    [web] = page.keys
    assert (web.id, web.name, web.monthly_budget_micros, web.month_spend_micros, web.status) == (
        key.key.id,
        "web",
        50 * RUPEE,
        0,
        "active",
    )
    assert [entry.kind for entry in page.ledger.entries] == ["checkout", "signup_credit"]  # newest first
    assert page.ledger.entries[0].payment_id == customer["payment_id"]
    pending, paid = page.orders.orders
    assert (pending.razorpay_order_id, pending.status, pending.payment_id) == (
        customer["unpaid_order_id"],
        "pending",
        None,
    )
    assert (paid.status, paid.payment_id, paid.amount_paise) == ("paid", customer["payment_id"], 50_000)
    assert page.usage.last_30_days.totals.requests == 0
    assert {"payment.credited", "order.created"} <= {row.action for row in page.audit.rows}


def test_the_org_pages_parts_page(app, ops, customer):
    org_id = customer["org_id"]
    with acting_as(ops["actor"]):
        first = orgs.orders_page(org_id=org_id, limit=1)
        second = orgs.orders_page(org_id=org_id, limit=1, cursor=first.next_cursor)
        ledger_first = orgs.ledger_page(org_id=org_id, limit=1)
        audit_first = orgs.audit_page(org_id=org_id, limit=1)
    assert first.next_cursor and second.next_cursor is None
    assert [o.status for o in first.orders + second.orders] == ["pending", "paid"]
    assert ledger_first.next_cursor and len(ledger_first.entries) == 1
    assert audit_first.next_cursor and len(audit_first.rows) == 1


def test_live_status_is_asked_of_razorpay_for_the_orgs_own_payments_only(app, ops, customer):
    with acting_as(ops["actor"]):
        live = orgs.live_payment(org_id=customer["org_id"], payment_id=customer["payment_id"])
        assert (live.status, live.captured, live.amount_paise, live.order_id) == (
            "captured",
            True,
            50_000,
            customer["order_id"],
        )
        other_org = make_account().principal.org_id
        for org_id, payment_id in ((other_org, customer["payment_id"]), (customer["org_id"], "pay_NoSuchOne")):
            with pytest.raises(NotFound):
                orgs.live_payment(org_id=org_id, payment_id=payment_id)


def test_a_payment_not_credited_is_still_the_orgs(app, ops, customer):
    """The case an operator looks into: paid at Razorpay, never reported to the app."""
    order_id, paid = paid_order(app, customer, 200)  # nobody verifies it; webhooks are dropped
    with acting_as(ops["actor"]):
        live = orgs.live_payment(org_id=customer["org_id"], payment_id=paid["razorpay_payment_id"])
        assert live.order_id == order_id and live.status == "captured"
        assert orgs.search(q=paid["razorpay_payment_id"]) == []  # search knows credited payments only
        assert [hit.id for hit in orgs.search(q=order_id)] == [customer["org_id"]]


def test_unknown_orgs_and_non_staff_get_not_found(app, ops, customer):
    with acting_as(ops["actor"]):
        for call in (orgs.org_page, orgs.keys, orgs.ledger_page, orgs.orders_page, orgs.audit_page):
            with pytest.raises(NotFound):
                call(org_id=987654321)
    owner = Actor(user_id=1, org_id=customer["org_id"], role="owner")
    with acting_as(owner):
        for attempt in (
            lambda: orgs.search(q="acme"),
            lambda: orgs.org_page(org_id=customer["org_id"]),
            lambda: orgs.live_payment(org_id=customer["org_id"], payment_id=customer["payment_id"]),
        ):
            with pytest.raises(NotFound):
                attempt()


def test_the_admin_api_finds_an_org_by_payment_id_and_shows_it(app, ops, customer):
    headers = {"Authorization": f"Bearer {ops['token']}"}
    response = app.http.get(f"{app.url}/admin/orgs", params={"q": customer["payment_id"]}, headers=headers)
    assert response.status_code == 200, response.text
    [hit] = response.json()["orgs"]
    assert hit["id"] == customer["org_id"] and hit["matched"] == ["payment_id"]
    assert hit["created_at"].endswith("+05:30")
    page = app.http.get(f"{app.url}/admin/orgs/{hit['id']}", headers=headers).json()
    assert page["balance_micros"] == 600 * RUPEE
    assert page["ledger"]["entries"][0]["type"] == "checkout"
    assert {m["email"] for m in page["members"]["members"]} == {"asha.rao@zephyr.example", "dev@zephyr.example"}
    live = app.http.get(
        f"{app.url}/admin/orgs/{hit['id']}/payments/{customer['payment_id']}/live", headers=headers
    ).json()
    assert live["status"] == "captured"
    assert app.http.get(f"{app.url}/admin/orgs/987654321", headers=headers).status_code == 404
    assert app.http.get(f"{app.url}/admin/orgs", params={"q": ""}, headers=headers).status_code == 422
    overview = app.http.get(f"{app.url}/admin/overview", headers=headers).json()
    assert overview["topups_today"] == {
        "list_key": "topups",
        "count": 1,
        "amount_micros": None,
        "amount_paise": 50_000,
        "oldest_at": None,
    }
    assert app.http.get(f"{app.url}/admin/overview", headers=customer["headers"]).status_code == 404
