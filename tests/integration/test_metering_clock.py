"""IST calendar boundaries with frozen clocks: a request at 23:59 IST and one at 00:00 IST
land on different days; a key's budget window turns over at 00:00 IST on the 1st."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from billing_app.config import get_settings
from billing_app.errors import BudgetExceeded
from billing_app.ist import ist_day
from billing_app.services import api_keys, history, metering, usage
from tests.factories import make_funded_key

MODEL = "sandbox-echo"
COST_1000_OUT = 56_100  # 1000 output tokens × ₹51/M × 1.10


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 23:59:59 IST is 18:29:59 UTC; 00:00 IST is 18:30 UTC the evening before.
NOV_30_2359_IST = utc(2026, 11, 30, 18, 29, 59)
DEC_1_0000_IST = utc(2026, 11, 30, 18, 30, 0)
DEC_31_2359_IST = utc(2026, 12, 31, 18, 29, 59)
JAN_1_0000_IST = utc(2026, 12, 31, 18, 30, 0)
FEB_29_2359_IST = utc(2028, 2, 29, 18, 29, 59)  # a leap year's February end
MAR_1_0000_IST = utc(2028, 2, 29, 18, 30, 0)


@pytest.fixture
def org_key(any_db) -> tuple[int, api_keys.CreatedKey]:
    funded = make_funded_key(name="clock", monthly_budget_micros=50_000)
    return funded.org_id, funded.created


def spend(key: str, request_id: str, now: datetime) -> None:
    metering.record_usage(
        api_key=key, request_id=request_id, model=MODEL, prompt_tokens=0, completion_tokens=1000, now=now
    )


@pytest.mark.parametrize(
    "before,after",
    [(NOV_30_2359_IST, DEC_1_0000_IST), (DEC_31_2359_IST, JAN_1_0000_IST), (FEB_29_2359_IST, MAR_1_0000_IST)],
    ids=["month-end", "year-end", "leap-february"],
)
def test_rollup_days_and_budget_month_turn_at_ist_midnight(org_key, before, after):
    org_id, created = org_key
    spend(created.secret, "late", before)
    with pytest.raises(BudgetExceeded):  # the budget is spent for this IST month…
        metering.authorize(api_key=created.secret, request_id="x", model=MODEL, max_tokens=1, now=before)
    # …and a second later, at 00:00 IST on the 1st, it is a new month.
    assert metering.authorize(api_key=created.secret, request_id="y", model=MODEL, max_tokens=1, now=after)
    [key] = api_keys.list_keys(org_id=org_id)
    assert api_keys.month_spend(key, now=before) == COST_1000_OUT
    assert api_keys.month_spend(key, now=after) == 0

    spend(created.secret, "early", after)
    [key] = api_keys.list_keys(org_id=org_id)
    assert api_keys.month_spend(key, now=after) == COST_1000_OUT  # the new month counts afresh
    first_day, second_day = ist_day(before), ist_day(after)
    assert (second_day - first_day).days == 1 and second_day.day == 1
    days = usage.daily(org_id=org_id, start=first_day, end=second_day)
    assert [(d.day, d.totals.requests, d.totals.cost_micros) for d in days] == [
        (first_day, 1, COST_1000_OUT),
        (second_day, 1, COST_1000_OUT),
    ]


def test_today_is_the_ist_day(org_key):
    org_id, created = org_key
    spend(created.secret, "nov30", NOV_30_2359_IST)
    assert usage.today(now=NOV_30_2359_IST) == date(2026, 11, 30)
    assert usage.today(now=DEC_1_0000_IST) == date(2026, 12, 1)
    assert usage.summary(org_id=org_id, now=NOV_30_2359_IST).today.totals.requests == 1
    at_midnight = usage.summary(org_id=org_id, now=DEC_1_0000_IST)
    assert at_midnight.today.totals.requests == 0
    assert at_midnight.last_30_days.totals.requests == 1
    assert (at_midnight.last_30_days.start, at_midnight.last_30_days.end) == (date(2026, 11, 2), date(2026, 12, 1))


# Years away from any day the suite runs on: a path that read the real clock instead of the
# services' one would put its rows on today, not on this day.
FROZEN_2359_IST = utc(2031, 3, 14, 18, 29, 59)


def test_module_clock_can_be_frozen(org_key, monkeypatch):
    """Entry points that pass no `now` read the services' module clock: the hold, the usage
    row, the rollup day and the key's month all take the frozen moment."""
    org_id, created = org_key
    monkeypatch.setattr(metering.service, "utcnow", lambda: FROZEN_2359_IST)  # the clock the calls are stamped with
    monkeypatch.setattr(usage, "utcnow", lambda: FROZEN_2359_IST)
    hold = metering.authorize(api_key=created.secret, request_id="frozen", model=MODEL, max_tokens=1)
    assert hold.expires_at == FROZEN_2359_IST + timedelta(seconds=get_settings().hold_ttl_seconds)
    metering.record_usage(
        api_key=created.secret, request_id="frozen", model=MODEL, prompt_tokens=1, completion_tokens=1
    )
    frozen_day = date(2031, 3, 14)
    assert usage.today() == frozen_day
    assert usage.daily(org_id=org_id, start=frozen_day, end=frozen_day)[0].totals.requests == 1
    [key] = api_keys.list_keys(org_id=org_id)
    assert api_keys.month_spend(key, now=FROZEN_2359_IST) > 0


def test_a_usage_day_sorts_at_its_ist_end_in_the_ledger(org_key):
    org_id, created = org_key
    spend(created.secret, "nov30", NOV_30_2359_IST)
    [day] = history.deductions_for_ledger_page(org_id=org_id, oldest=None, before_entry_id=None, now=JAN_1_0000_IST)
    assert day.day == date(2026, 11, 30)
    assert day.at == utc(2026, 11, 30, 18, 29, 59, 999_999)  # 23:59:59.999999 IST
    assert (day.requests, day.tokens, day.cost_micros) == (1, 1000, COST_1000_OUT)
    [today] = history.deductions_for_ledger_page(org_id=org_id, oldest=None, before_entry_id=None, now=NOV_30_2359_IST)
    assert today.at == NOV_30_2359_IST  # today's row sorts at "now"
