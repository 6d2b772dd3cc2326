"""The console's promo codes and model prices (services/console/catalog.py): every rule the CLI
has, an audit row with the staff member and the reason for each change, and 404 to anyone
who is not staff (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.errors import Conflict, InvalidRequest, NotFound
from billing_app.models import AuditEvent
from billing_app.models.types import utcnow
from billing_app.services import pricing, promos, staff
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import catalog
from tests.factories import make_account

RUPEE = 1_000_000


@pytest.fixture
def staff_id(any_db) -> Iterator[int]:
    signed = make_account(email="ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    with acting_as(Actor(user_id=signed.principal.user_id, kind="staff")):
        yield signed.principal.user_id


def global_audit(action: str) -> list[AuditEvent]:
    with read_session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action) == action, col(AuditEvent.org_id).is_(None))
                .order_by(col(AuditEvent.id))
            )
        )


def test_create_list_and_disable_a_promo_with_audit_rows(staff_id):
    starts = utcnow() + timedelta(days=1)
    created = catalog.create_promo(
        code=" diwali ",
        reason="festival campaign",
        percent=10,
        cap_micros=100 * RUPEE,
        min_topup_units=200,
        starts_at=starts,
        ends_at=starts + timedelta(days=5),
        max_redemptions=50,
    )
    assert created.code == "DIWALI" and created.state == "scheduled"
    assert created.summary == "10% bonus (up to ₹100)"
    catalog.create_promo(code="FLAT50", reason="support goodwill", flat_bonus_micros=50 * RUPEE, active=False)
    rows = {row.code: row for row in catalog.list_promos()}
    assert rows["FLAT50"].state == "disabled" and rows["FLAT50"].redemptions == 0
    assert rows["DIWALI"].min_topup_units == 200 and rows["DIWALI"].max_redemptions == 50

    assert catalog.disable_promo(code="diwali", reason="campaign cancelled") is True
    assert catalog.disable_promo(code="DIWALI", reason="again") is False  # no change, no row
    assert {row.code: row.state for row in catalog.list_promos()}["DIWALI"] == "disabled"

    [made_diwali, made_flat] = global_audit("promo.created")
    assert made_diwali.actor_user_id == staff_id and made_diwali.actor_kind == "staff"
    assert json.loads(made_diwali.after or "{}")["reason"] == "festival campaign"
    assert json.loads(made_flat.after or "{}")["active"] is False
    [disabled] = global_audit("promo.disabled")
    assert disabled.subject == "promo:DIWALI" and json.loads(disabled.after or "{}")["reason"] == "campaign cancelled"


def test_promo_rules_and_the_reason_are_enforced(staff_id):
    with pytest.raises(InvalidRequest) as blank:
        catalog.create_promo(code="NOREASON", reason="  ", flat_bonus_micros=RUPEE)
    assert blank.value.details["field"] == "reason"
    with pytest.raises(InvalidRequest):
        catalog.create_promo(code="BOTH", reason="x", flat_bonus_micros=RUPEE, percent=5)
    with pytest.raises(InvalidRequest):
        catalog.create_promo(code="CAPFLAT", reason="x", flat_bonus_micros=RUPEE, cap_micros=RUPEE)
    catalog.create_promo(code="ONCE", reason="x", flat_bonus_micros=RUPEE)
    with pytest.raises(Conflict):
        catalog.create_promo(code="once", reason="x", flat_bonus_micros=RUPEE)
    with pytest.raises(NotFound):
        catalog.disable_promo(code="NOSUCH", reason="x")
    assert [row.code for row in catalog.list_promos()] == ["ONCE"]
    assert len(global_audit("promo.created")) == 1  # refused changes wrote nothing


def test_edit_a_price_and_load_the_catalog(staff_id):
    pricing.load_catalog()
    listed = {row.model: row for row in catalog.list_prices()}
    before = listed["openai/gpt-4o"]
    assert before.source == "catalog" and before.effective_since is not None

    edited = catalog.set_price(
        model="openai/gpt-4o",
        input_micros_per_million=before.input_micros_per_million + RUPEE,
        output_micros_per_million=before.output_micros_per_million,
        reason="provider raised input rates",
    )
    assert edited.source == "admin" and edited.effective_since >= before.effective_since
    [row] = global_audit("price.set")
    assert json.loads(row.before or "{}")["input_micros_per_million"] == before.input_micros_per_million
    after = json.loads(row.after or "{}")
    assert after["input_micros_per_million"] == before.input_micros_per_million + RUPEE
    assert after["reason"] == "provider raised input rates"

    assert catalog.load_catalog(reason="routine reload") == 0  # the operator's price is kept
    assert catalog.load_catalog(reason="reset to the file", overwrite=True) == 1
    assert {r.model: r for r in catalog.list_prices()}["openai/gpt-4o"] == pricing_row_of("openai/gpt-4o")
    loads = [json.loads(row.after or "{}") for row in global_audit("prices.loaded")]
    assert [(load["changed"], load["overwrite"]) for load in loads] == [(0, False), (1, True)]

    with pytest.raises(InvalidRequest):
        catalog.set_price(model="x", input_micros_per_million=-1, output_micros_per_million=0, reason="x")
    with pytest.raises(InvalidRequest):
        catalog.load_catalog(reason="")


def pricing_row_of(model: str) -> catalog.PriceRow:
    [price] = [p for p in pricing.list_prices(include_inactive=True) if p.model == model]
    assert price.source == "catalog"
    return catalog._price_row(price)


@pytest.mark.parametrize(
    "call",
    [
        lambda: catalog.list_promos(),
        lambda: catalog.create_promo(code="X", reason="x", flat_bonus_micros=RUPEE),
        lambda: catalog.disable_promo(code="X", reason="x"),
        lambda: catalog.list_prices(),
        lambda: catalog.set_price(model="m", input_micros_per_million=1, output_micros_per_million=1, reason="x"),
        lambda: catalog.load_catalog(reason="x"),
    ],
)
@pytest.mark.parametrize("actor", [Actor(user_id=1, org_id=1, role="owner"), Actor(ip="10.0.0.1"), Actor.system()])
def test_only_staff_reach_the_catalog_services(db, call, actor):
    promos.create_promo(code="X", flat_bonus_micros=RUPEE)
    with acting_as(actor), pytest.raises(NotFound):
        call()
    assert promos.list_promos()[0].active
    assert global_audit("promo.created") == global_audit("price.set") == []
