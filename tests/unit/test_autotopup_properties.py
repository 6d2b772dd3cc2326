"""Hypothesis over spend series: what auto top-up promises whatever the spend.

- With steady spend and the lead time honoured, every debit lands before the balance
  reaches the floor (given an amount that covers the spend between two debits).
- Never more than one debit pending, and never one inside the pause after the last.
- Never more in an IST month than the monthly cap; never more per debit than the rule's
  amount, which never passes the ceiling.
- With no usage, a plain threshold: a notice only once the balance is at or below the floor.

The replay (billing_app/services/autotopup/replay.py) is the harness: it asks `decide` every
quarter hour over a spend series, as the job would.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_app.ist import ist_day, ist_day_start, ist_month_start
from billing_app.money import ceil_div
from billing_app.services.autotopup import CEILING_PAISE, Action, Past, decide, make_rule, replay
from billing_app.services.autotopup.forecast import SAFETY_MARGIN
from billing_app.services.autotopup.replay import STEP
from billing_app.services.topup_rules import TopupRules

RUPEE = 1_000_000
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
LIMITS = TopupRules("INR", 1, 15_000, (), 8500)
LEADS = {"upi": 25 * HOUR, "card": 37 * HOUR}
FIRST_DAY = date(2026, 11, 20)  # replays run across the turn of an IST month


def make(amount: int, floor_rupees: int, cap: int, method: str, cooldown: timedelta = HOUR):
    return make_rule(
        amount=amount,
        floor_micros=floor_rupees * RUPEE,
        monthly_cap=cap,
        method=method,
        cooldown=cooldown,
        limits=LIMITS,
        lead_time=LEADS[method],
    )


@settings(max_examples=40, deadline=None)
@given(
    rupees_per_day=st.integers(1, 2000),
    method=st.sampled_from(["upi", "card"]),
    floor=st.integers(0, 5000),
    headroom_hours=st.integers(0, 24 * 8),
    extra_percent=st.integers(0, 200),
    days=st.integers(2, 16),
    end_minutes=st.integers(0, 24 * 60 - 1),
)
def test_with_steady_spend_every_debit_lands_before_the_floor(
    rupees_per_day, method, floor, headroom_hours, extra_percent, days, end_minutes
):
    spend = rupees_per_day * RUPEE
    lead = LEADS[method]
    # Enough to cover the spend from one debit to the notice of the next landing.
    covers = spend * ((lead + HOUR + SAFETY_MARGIN + 2 * STEP) // US) // (DAY // US)
    amount = ceil_div(covers * (100 + extra_percent), 100 * RUPEE)
    if amount > 15_000:
        return
    rule = make(amount, floor, 10_000_000, method)
    start = ist_day_start(FIRST_DAY)
    end = start + days * DAY + timedelta(minutes=end_minutes)
    # The first notice is due at least a step after the replay starts.
    before_notice = lead + SAFETY_MARGIN + STEP + headroom_hours * HOUR
    balance = floor * RUPEE + ceil_div(spend * (before_notice // US), DAY // US)
    history = {FIRST_DAY + timedelta(days=n): spend for n in range(-7, days)}
    history[ist_day(end)] = spend * end_minutes // (24 * 60)
    ran = replay(Past(start, end, balance, [], history), rule)

    added = 0
    for topup in ran.topups:
        assert not topup.late
        if topup.charged_at <= end:
            spent = spend * ((topup.charged_at - start) // US) // (DAY // US)
            assert balance - spent + added >= rule.floor_micros  # just before it lands
            added += topup.amount_micros
    assert ran.lowest_balance_micros >= rule.floor_micros
    assert ran.refused_from is None


daily_spend = st.lists(st.integers(0, 3000 * RUPEE) | st.just(0), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(
    spends=daily_spend,
    amount=st.integers(1, 15_000),
    cap_times=st.integers(1, 5),
    cap_extra=st.integers(0, 14_999),
    floor=st.integers(0, 3000),
    method=st.sampled_from(["upi", "card"]),
    cooldown_hours=st.integers(0, 72),
    balance=st.integers(-100, 20_000),
    credits=st.lists(st.tuples(st.integers(0, 20 * 24 * 4), st.integers(-500, 5000)), max_size=5),
)
def test_one_pending_the_pause_the_cap_and_the_amount_hold_for_any_spend(
    spends, amount, cap_times, cap_extra, floor, method, cooldown_hours, balance, credits
):
    rule = make(amount, floor, amount * cap_times + cap_extra, method, cooldown_hours * HOUR)
    start = ist_day_start(FIRST_DAY)
    end = start + len(spends) * DAY - STEP
    history = {FIRST_DAY + timedelta(days=n): cost for n, cost in enumerate(spends)}
    entries = [(start + STEP * at, rupees * RUPEE) for at, rupees in credits]
    ran = replay(Past(start, end, balance * RUPEE, entries, history), rule)

    by_month: dict[datetime, int] = defaultdict(int)
    for earlier, later in zip(ran.topups, ran.topups[1:], strict=False):
        assert later.notified_at >= earlier.charged_at + rule.cooldown  # one pending, then the pause
    for topup in ran.topups:
        assert topup.amount_micros == rule.amount_micros and rule.amount_paise <= CEILING_PAISE
        assert topup.charged_at == topup.notified_at + rule.lead_time
        by_month[ist_month_start(topup.charged_at)] += topup.amount_micros
    assert all(total <= rule.monthly_cap_micros for total in by_month.values())


NOW = datetime(2026, 12, 10, 6, 30, tzinfo=UTC)


@given(
    balance=st.integers(-1000 * RUPEE, 100_000 * RUPEE),
    history=st.dictionaries(st.integers(0, 8).map(lambda n: ist_day(NOW) - timedelta(days=n)), st.integers(0, 10**10)),
    amount=st.integers(1, 15_000),
    floor=st.integers(0, 10_000),
    month_spent=st.integers(0, 40_000),
    pending=st.booleans(),
    since_debit=st.none() | st.integers(0, 200),
    method=st.sampled_from(["upi", "card"]),
)
def test_a_notice_is_never_sent_when_something_stops_it(
    balance, history, amount, floor, month_spent, pending, since_debit, method
):
    rule = make(amount, floor, 30_000, method)
    last = None if since_debit is None else NOW - since_debit * timedelta(minutes=1)
    made = decide(NOW, balance, history, rule, month_spent * RUPEE, pending, last)
    if made.action == Action.NOTIFY:
        assert not pending and (last is None or last + rule.cooldown <= NOW)
        assert month_spent * RUPEE + made.amount_micros <= rule.monthly_cap_micros
        assert made.amount_micros == rule.amount_micros and made.charge_at == NOW + rule.lead_time
        assert made.forecast.floor_at is not None
        assert made.late == (made.charge_at > made.forecast.floor_at)
    elif made.action == Action.WAIT:
        assert made.until is None or made.until > NOW
    if not any(history.values()) and made.action in (Action.NOTIFY, Action.WAIT, Action.CAPPED):
        # no usage: a plain threshold at the floor
        assert (made.action != Action.WAIT) == (balance <= rule.floor_micros)
