"""The forecast: how fast the org spends, when its balance reaches the rule's floor, and so
when the pre-debit notice must go out for the debit to land before that.

Pure: it reads no database and no clock, so the decision job, the settings page's sentence
and the dry run all get the same answer from the same figures. The spend history is the
usage rollup's cost per IST day (`{day: cost_micros}`); days it does not name spent nothing.

How the rate is read (docs/autotopup.md says why):
- the window is the last `WINDOW_DAYS` IST days, today included as far as it has gone;
- it starts at the first day in the window with any usage: idle days before the org began (or
  resumed) spending say nothing about how fast it spends now, idle days after it are real
  (weekends) and count as zero;
- a rollup cannot say when in its day the spending happened, so the first day counts whole,
  and the span is never shorter than `MIN_SPAN` (a few minutes of spend is not a day's rate);
- the rate is the higher of the window's mean and the mean since yesterday began: a surge
  today brings the notice forward at once, while a spike days ago only raises the mean.
  Guessing high costs an earlier top-up of the same amount; guessing low costs refused requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from billing_app.ist import ist_day, ist_day_start
from billing_app.money import ceil_div
from billing_app.services.autotopup.rule import Rule

DAY = timedelta(days=1)
WINDOW_DAYS = 7
MIN_SPAN = timedelta(hours=6)
# The notice goes out this much earlier than the lead time alone asks, for the job that sends
# it runs every few minutes and a bank may take a while to settle the debit.
SAFETY_MARGIN = timedelta(hours=1)
# Past this the forecast says "not in sight" rather than a date (and timedelta stays in range).
HORIZON = timedelta(days=3650)

_US_PER_DAY = DAY // timedelta(microseconds=1)


def _us(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


@dataclass(frozen=True)
class SpendRate:
    micros_per_day: int  # 0: nothing spent in the window
    since: date | None  # the first IST day the rate reads (None: no usage in the window)


@dataclass(frozen=True)
class Forecast:
    rate: SpendRate
    floor_at: datetime | None  # when the balance reaches the floor; None: not in sight
    notify_at: datetime | None  # when the notice must go out for the debit to land before it


def window(now: datetime) -> tuple[date, date]:
    """The IST days the rate reads at `now`: (first, today)."""
    today = ist_day(now)
    return today - timedelta(days=WINDOW_DAYS - 1), today


def _mean(spent: int, start: datetime, now: datetime) -> int:
    span = max(now - start, MIN_SPAN)
    return ceil_div(spent * _US_PER_DAY, _us(span))


def spend_rate(now: datetime, history: Mapping[date, int]) -> SpendRate:
    """The org's spend per day at `now`, rounded up to the micro, from its daily rollups."""
    first, today = window(now)
    days = [first + timedelta(days=n) for n in range(WINDOW_DAYS)]
    spent = {day: max(history.get(day, 0), 0) for day in days}
    used = [day for day in days if spent[day]]
    if not used:
        return SpendRate(0, None)
    since = used[0]
    mean = _mean(sum(spent[day] for day in days if day >= since), ist_day_start(since), now)
    yesterday = today - timedelta(days=1)
    if since <= yesterday:
        mean = max(mean, _mean(spent[yesterday] + spent[today], ist_day_start(yesterday), now))
    return SpendRate(mean, since)


def floor_at(now: datetime, balance_micros: int, floor_micros: int, rate: SpendRate) -> datetime | None:
    """When the balance, spent at `rate` from `now`, reaches the floor (now if it has)."""
    if balance_micros <= floor_micros:
        return now
    if not rate.micros_per_day:
        return None
    until = (balance_micros - floor_micros) * _US_PER_DAY // rate.micros_per_day
    return now + timedelta(microseconds=until) if until < _us(HORIZON) else None


def keeps_up(rule: Rule, rate: SpendRate) -> bool:
    """Whether one top-up covers the spend from one debit to the soonest the next can land
    (its notice waits out the pause, then the lead time). If not, no schedule keeps the
    balance above the floor: one debit is pending at a time."""
    gap = rule.cooldown + rule.lead_time + SAFETY_MARGIN
    return rule.amount_micros * _US_PER_DAY >= rate.micros_per_day * _us(gap)


def forecast(now: datetime, balance_micros: int, history: Mapping[date, int], rule: Rule) -> Forecast:
    """The rate, when the floor is reached and when to notify. With no usage in the window
    the rule is a plain threshold: `floor_at` is now once the balance is at or below the
    floor, and never otherwise (a balance nobody spends does not fall)."""
    rate = spend_rate(now, history)
    reached = floor_at(now, balance_micros, rule.floor_micros, rate)
    notify = reached - rule.lead_time - SAFETY_MARGIN if reached is not None else None
    return Forecast(rate=rate, floor_at=reached, notify_at=notify)
