"""The sentence the settings page shows under the rule: what the forecast means, in words,
so nobody is charged by surprise. Pure, like the forecast it reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from billing_app.ist import display_ist
from billing_app.money import format_units
from billing_app.services.autotopup.forecast import Forecast, SpendRate, forecast, keeps_up, window
from billing_app.services.autotopup.rule import Rule

_ROUND_TO = timedelta(minutes=15)


def around(moment: datetime) -> str:
    """A forecast time as people read it: to the quarter hour, in IST."""
    epoch = datetime(2000, 1, 1, tzinfo=moment.tzinfo)
    rounded = epoch + round((moment - epoch) / _ROUND_TO) * _ROUND_TO
    return display_ist(rounded)


def later(lead_time: timedelta) -> str:
    """How long after the notice the debit lands, as the issue's wording has it."""
    hours = lead_time / timedelta(hours=1)
    if hours < 36:
        return "about a day later"
    if hours < 48:
        return "about a day and a half later"
    return f"about {round(hours / 24)} days later"


def _spend_words(now: datetime, rate: SpendRate, currency: str) -> str:
    per_day = f"{format_units(rate.micros_per_day, currency)}/day"
    first, today = window(now)
    if rate.since is None or rate.since <= first:
        return f"At your last 7 days' spend ({per_day})"
    if rate.since == today:
        return f"At today's spend so far ({per_day})"
    return f"At your spend since {rate.since.strftime('%d %b')} ({per_day})"


def describe(now: datetime, balance: int, spend_history: Mapping[date, int], rule: Rule) -> str:
    """ "At your last 7 days' spend (₹X/day) the next top-up of ₹N would be notified around
    <IST time> and charged about a day later", or what stands instead of it."""
    outlook: Forecast = forecast(now, balance, spend_history, rule)
    amount = format_units(rule.amount_micros, rule.currency)
    floor = format_units(rule.floor_micros, rule.currency)
    charged = f"charged {later(rule.lead_time)}"
    if not outlook.rate.micros_per_day:
        if outlook.notify_at is not None:
            return f"Your balance is at or below {floor}: a top-up of {amount} would be notified now and {charged}."
        return (
            "You have spent nothing in the last 7 days, so no top-up is forecast: one of "
            f"{amount} would be notified only once your balance falls to {floor}."
        )
    spend = _spend_words(now, outlook.rate, rule.currency)
    if outlook.notify_at is None:
        return f"{spend} your balance stays above {floor} for years: no top-up is in sight."
    when = "now" if outlook.notify_at <= now else f"around {around(outlook.notify_at)}"
    sentence = f"{spend} the next top-up of {amount} would be notified {when} and {charged}."
    if not keeps_up(rule, outlook.rate):
        sentence += (
            f" At that spend {amount} runs out before the next top-up could land: choose a larger amount "
            "or your balance will fall below the floor."
        )
    return sentence
