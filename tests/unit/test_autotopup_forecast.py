"""The forecast and the decision, by example: how the spend rate reads partial days, idle
days and spikes; when the notice goes out; and what stops it (a pending debit, the pause
after the last one, the monthly cap). tests/unit/test_autotopup_properties.py has the
hypothesis side."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from billing_app.money import ceil_div
from billing_app.services.autotopup import Action, charge_month_start, decide, make_rule, spend_rate
from billing_app.services.autotopup.forecast import MIN_SPAN, SAFETY_MARGIN, SpendRate, keeps_up
from billing_app.services.topup_rules import TopupRules

RUPEE = 1_000_000
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LIMITS = TopupRules("INR", 100, 1000, (), 8500)
TODAY = date(2026, 12, 10)
NOON_IST = datetime(2026, 12, 10, 6, 30, tzinfo=UTC)  # 12:00 IST on TODAY


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def steady(per_day: int, *, now: datetime = NOON_IST, days: int = 7) -> dict[date, int]:
    """`per_day` rupees a day, evenly, for `days` days up to `now` (today as far as it has gone)."""
    history = {days_ago(n): per_day * RUPEE for n in range(1, days)}
    history[TODAY] = per_day * RUPEE // 2 if now == NOON_IST else 0
    return history


def upi_rule(**changes):
    fields = {
        "amount": 500,
        "floor_micros": 200 * RUPEE,
        "monthly_cap": 2000,
        "method": "upi",
        "limits": LIMITS,
        "lead_time": 25 * HOUR,
    }
    return make_rule(**{**fields, **changes})


# --- the spend rate -----------------------------------------------------------------


def test_a_steady_week_reads_as_its_daily_spend_today_counting_as_far_as_it_has_gone():
    rate = spend_rate(NOON_IST, steady(100))
    assert rate.micros_per_day == 100 * RUPEE and rate.since == days_ago(6)


def test_idle_days_before_the_first_usage_are_not_counted():
    rate = spend_rate(NOON_IST, {days_ago(1): 100 * RUPEE, TODAY: 50 * RUPEE})
    assert rate.micros_per_day == 100 * RUPEE and rate.since == days_ago(1)


def test_idle_days_after_the_first_usage_count_as_zero():
    rate = spend_rate(NOON_IST, {days_ago(6): 650 * RUPEE})
    assert rate.micros_per_day == 100 * RUPEE  # ₹650 over six and a half days


def test_a_spike_days_ago_raises_the_mean_only():
    history = steady(100) | {days_ago(4): 1000 * RUPEE}
    assert spend_rate(NOON_IST, history).micros_per_day == ceil_div(1550 * RUPEE * 2, 13)  # ₹1,550 / 6.5 days


def test_a_surge_today_brings_the_rate_up_at_once():
    history = steady(100) | {TODAY: 500 * RUPEE}  # ₹500 by noon: ₹600 since yesterday began
    assert spend_rate(NOON_IST, history).micros_per_day == 400 * RUPEE


def test_a_first_hour_of_spend_is_read_over_a_minimum_span():
    one_am = NOON_IST - 11 * HOUR
    rate = spend_rate(one_am, {TODAY: 10 * RUPEE})
    assert rate.since == TODAY and rate.micros_per_day == 10 * RUPEE * (DAY // MIN_SPAN)


def test_no_usage_in_the_window_is_no_rate():
    assert spend_rate(NOON_IST, {}).micros_per_day == 0
    old_and_future = {days_ago(7): 900 * RUPEE, TODAY + DAY: 900 * RUPEE}
    assert spend_rate(NOON_IST, old_and_future) == spend_rate(NOON_IST, {})


# --- the decision -------------------------------------------------------------------


def decision(balance_rupees: int, history=None, rule=None, **kw):
    args = {"month_spent": 0, "pending_debit": False, "last_debit_at": None, **kw}
    return decide(
        kw.pop("now", NOON_IST),
        balance_rupees * RUPEE,
        steady(100) if history is None else history,
        rule or upi_rule(),
        args["month_spent"],
        args["pending_debit"],
        args["last_debit_at"],
    )


def test_far_from_the_floor_it_waits_until_the_notice_is_due():
    made = decision(1000)  # ₹800 above the floor at ₹100/day: the floor in 8 days
    assert made.action == Action.WAIT
    assert made.forecast.floor_at == NOON_IST + 8 * DAY
    assert made.until == NOON_IST + 8 * DAY - 25 * HOUR - SAFETY_MARGIN


def test_when_due_it_notifies_the_rules_amount_to_land_before_the_floor():
    # ₹200 + ₹100 × (26 h / 24 h): the notice is due right now.
    made = decision(1000, rule=upi_rule(floor_micros=1000 * RUPEE - 100 * RUPEE * 26 // 24))
    assert made.action == Action.NOTIFY and not made.late
    assert made.amount_micros == 500 * RUPEE and made.charge_at == NOON_IST + 25 * HOUR
    assert made.charge_at < made.forecast.floor_at


def test_already_close_to_the_floor_it_notifies_now_and_says_it_is_late():
    made = decision(210)
    assert made.action == Action.NOTIFY and made.late
    card = decision(210, rule=upi_rule(method="card", lead_time=37 * HOUR))
    assert card.charge_at == NOON_IST + 37 * HOUR


def test_a_pending_debit_blocks_everything():
    assert decision(0, pending_debit=True).action == Action.PENDING


def test_the_pause_after_a_debit():
    made = decision(0, last_debit_at=NOON_IST - 30 * 60 * timedelta(seconds=1))
    assert made.action == Action.COOLDOWN and made.until == NOON_IST + timedelta(minutes=30)
    assert decision(0, last_debit_at=NOON_IST - HOUR).action == Action.NOTIFY


def test_the_monthly_cap_holds_the_notice_until_a_debit_would_land_next_month():
    made = decision(0, month_spent=1600 * RUPEE)  # ₹1,600 + ₹500 > ₹2,000
    assert made.action == Action.CAPPED
    jan_1_ist = datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    assert made.until == jan_1_ist - 25 * HOUR
    assert decision(0, month_spent=1500 * RUPEE).action == Action.NOTIFY  # exactly the cap


def test_a_debit_counts_in_the_month_it_lands_in():
    evening_31st = datetime(2026, 12, 31, 14, 30, tzinfo=UTC)  # 20:00 IST
    assert charge_month_start(evening_31st, upi_rule()) == datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    assert charge_month_start(NOON_IST, upi_rule()) == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)


def test_without_usage_it_is_a_plain_threshold_at_the_floor():
    waiting = decision(201, history={})
    assert waiting.action == Action.WAIT and waiting.until is None and waiting.forecast.floor_at is None
    made = decision(200, history={})
    assert made.action == Action.NOTIFY and made.late


def test_a_hand_built_rule_above_the_ceiling_is_refused():
    too_big = dataclasses.replace(upi_rule(), amount_micros=20_000 * RUPEE, amount_paise=2_000_000)
    with pytest.raises(ValueError):
        decision(0, rule=too_big)


def test_an_amount_keeps_up_when_it_covers_the_spend_between_two_debits():
    # The soonest the next debit lands: 1 h pause + 25 h lead + 1 h margin = 27 h.
    at = 500 * RUPEE * 24 // 27  # the most spent per day for ₹500 to last 27 h
    assert keeps_up(upi_rule(), SpendRate(at, TODAY))
    assert not keeps_up(upi_rule(), SpendRate(at + 1, TODAY))
