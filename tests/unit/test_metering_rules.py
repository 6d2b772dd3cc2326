"""Metering's billing rules (services/metering/rules.py), without a database: estimates and
costs, the month spend and budget, rollup grouping, month-spend runs and holds placed in
order; and that each PostgreSQL `.sql` statement takes the arguments its NamedTuple names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.errors import BudgetExceeded
from billing_app.services.metering import rules
from billing_app.services.metering.calls import AuthorizeCall, Key, Stamped, UsageCall
from billing_app.services.metering.postgres import LockHoldsArgs, PlaceHoldsArgs, UsageBatchArgs
from billing_app.services.metering.statements import SQL_FILES

KEY = Key(7, 3, None, 202611, 0, "INR", "auto", 12_750_000, 51_000_000)  # ₹12.75 / ₹51 per million
NOV_30_2359_IST = datetime(2026, 11, 30, 18, 29, tzinfo=UTC)
DEC_1_0001_IST = datetime(2026, 11, 30, 18, 31, tzinfo=UTC)


def usage(key_id: int = 7, *, at: datetime = NOV_30_2359_IST, model: str = "m", cost: int = 100) -> rules.UsageRow:
    row = rules.usage_row(Stamped(UsageCall("k", f"r{cost}", model, 1, 2), at), KEY._replace(id=key_id), "auto", 10)
    return row._replace(cost=cost)


def test_cost_and_estimate_round_up_once_with_the_markup():
    assert rules.cost(0, 1000, KEY, 10) == 56_100  # 1,000 × ₹51 per million, +10 %
    call = AuthorizeCall("k", "r", "m", max_tokens=None, prompt_tokens=None)
    assert rules.estimate(call, KEY, default_max_tokens=1000, markup=10) == 56_100  # the default max_tokens
    assert rules.estimate(AuthorizeCall("k", "r", "m", max_tokens=0), KEY, default_max_tokens=1000, markup=10) == 0


def test_the_month_spend_starts_over_at_the_ist_month():
    assert rules.ist_month(NOV_30_2359_IST) == 202611
    assert rules.ist_month(DEC_1_0001_IST) == 202612
    assert rules.month_spend(202611, 500, NOV_30_2359_IST) == 500
    assert rules.month_spend(202611, 500, DEC_1_0001_IST) == 0


def test_the_budget_refuses_once_the_month_spend_reaches_it():
    rules.check_budget(KEY._replace(budget=501, month_spend=500), NOV_30_2359_IST)
    with pytest.raises(BudgetExceeded):
        rules.check_budget(KEY._replace(budget=500, month_spend=500), NOV_30_2359_IST)
    rules.check_budget(KEY._replace(budget=500, month_spend=500), DEC_1_0001_IST)  # a new month
    with pytest.raises(BudgetExceeded):
        rules.check_budget(KEY._replace(budget=0), NOV_30_2359_IST)


def test_a_usage_row_takes_its_ist_day_and_month():
    row = usage(at=NOV_30_2359_IST)
    assert (row.day, row.month) == (date(2026, 11, 30), 202611)
    later = usage(at=DEC_1_0001_IST)
    assert (later.day, later.month) == (date(2026, 12, 1), 202612)


def test_rollup_rows_sum_per_org_day_key_and_model_in_the_order_first_seen():
    rows = [usage(cost=1), usage(model="x", cost=2), usage(cost=3), usage(at=DEC_1_0001_IST, cost=4)]
    assert [(r.day, r.model, r.requests, r.cost, r.prompt_tokens) for r in rules.rollup_rows(rows)] == [
        (date(2026, 11, 30), "m", 2, 4, 2),
        (date(2026, 11, 30), "x", 1, 2, 1),
        (date(2026, 12, 1), "m", 1, 4, 1),
    ]


def test_spend_runs_follow_each_key_across_a_month_boundary_and_back():
    rows = [usage(cost=1), usage(8, cost=2), usage(cost=3), usage(at=DEC_1_0001_IST, cost=4), usage(cost=5)]
    assert [(r.key_id, r.month, r.cost) for r in rules.spend_runs(rows)] == [
        (7, 202611, 4),
        (8, 202611, 2),
        (7, 202612, 4),
        (7, 202611, 5),
    ]


@given(st.integers(-1000, 1000), st.integers(0, 1000), st.lists(st.integers(0, 300), max_size=12))
def test_holds_are_placed_in_order_while_there_is_room(balance, held, amounts):
    """The running sum: a hold goes in while balance − holds placed before it > 0, so once one
    is refused, every later one is."""
    funds = rules.Funds(balance, held)
    placed = []
    for amount in amounts:  # as a backend places a batch's holds
        placed.append(funds.has_room)
        if funds.has_room:
            funds.hold(amount)
    for i, was_placed in enumerate(placed):
        before = held + sum(a for a, p in zip(amounts[:i], placed[:i], strict=True) if p)
        assert was_placed == (balance - before > 0)
    assert placed == sorted(placed, reverse=True)  # True …, then False …


def test_a_hold_expires_its_ttl_after_its_call():
    hold = rules.hold_row(
        Stamped(AuthorizeCall("k", "r", "m"), NOV_30_2359_IST), KEY, amount=5, ttl=timedelta(minutes=10)
    )
    assert (hold.org_id, hold.key_id, hold.amount) == (3, 7, 5)
    assert hold.expires_at == NOV_30_2359_IST + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("name", "args"),
    [("lock_holds", LockHoldsArgs), ("place_holds", PlaceHoldsArgs), ("usage_batch", UsageBatchArgs)],
)
def test_each_sql_file_lists_and_uses_the_arguments_of_its_named_tuple(name, args):
    text = (SQL_FILES / f"{name}.sql").read_text()
    listed = re.findall(r"^-- \$(\d+)\s+(\w+)", text, re.MULTILINE)
    assert [(int(n), field) for n, field in listed] == list(enumerate(args._fields, start=1))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    assert {int(n) for n in re.findall(r"\$(\d+)", body)} == set(range(1, len(args._fields) + 1))
