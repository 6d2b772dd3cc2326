"""The settings page's sentence: the forecast in words, and its variants when there is
little or no usage to forecast from, or the floor is already near."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from billing_app.services.autotopup import describe, make_rule
from billing_app.services.autotopup.sentence import around, later
from billing_app.services.topup_rules import TopupRules

RUPEE = 1_000_000
HOUR = timedelta(hours=1)
LIMITS = TopupRules("INR", 100, 1000, (), 8500)
NOON_IST = datetime(2026, 12, 10, 6, 30, tzinfo=UTC)  # 12:00 IST, 10 Dec
TODAY = date(2026, 12, 10)


def rule(method: str = "upi", lead_hours: int = 25):
    return make_rule(
        amount=500,
        floor_micros=200 * RUPEE,
        monthly_cap=2000,
        method=method,
        limits=LIMITS,
        lead_time=lead_hours * HOUR,
    )


def week(rupees: int) -> dict[date, int]:
    history = {TODAY - timedelta(days=n): rupees * RUPEE for n in range(1, 7)}
    return history | {TODAY: rupees * RUPEE // 2}


def test_the_forecast_in_words():
    # ₹800 above the floor at ₹100/day: the floor on 18 Dec 12:00 IST; the notice 26 h earlier.
    assert describe(NOON_IST, 1000 * RUPEE, week(100), rule()) == (
        "At your last 7 days' spend (₹100/day) the next top-up of ₹500 would be notified around "
        "17 Dec 2026, 10:00 AM IST and charged about a day later."
    )


def test_a_card_mandate_is_charged_later():
    sentence = describe(NOON_IST, 1000 * RUPEE, week(100), rule("card", 37))
    assert sentence.endswith("around 16 Dec 2026, 10:00 PM IST and charged about a day and a half later.")


def test_fewer_than_seven_days_of_usage_say_since_when():
    history = {TODAY - timedelta(days=2): 175 * RUPEE, TODAY: 75 * RUPEE}  # ₹250 over 2.5 days
    assert describe(NOON_IST, 1000 * RUPEE, history, rule()).startswith("At your spend since 08 Dec (₹100/day)")
    today_only = describe(NOON_IST, 1000 * RUPEE, {TODAY: 50 * RUPEE}, rule())
    assert today_only.startswith("At today's spend so far (₹100/day) the next top-up of ₹500")


def test_close_to_the_floor_it_says_now():
    assert describe(NOON_IST, 250 * RUPEE, week(100), rule()) == (
        "At your last 7 days' spend (₹100/day) the next top-up of ₹500 would be notified now "
        "and charged about a day later."
    )


def test_no_usage():
    assert describe(NOON_IST, 1000 * RUPEE, {}, rule()) == (
        "You have spent nothing in the last 7 days, so no top-up is forecast: one of ₹500 would be "
        "notified only once your balance falls to ₹200."
    )
    assert describe(NOON_IST, 150 * RUPEE, {}, rule()) == (
        "Your balance is at or below ₹200: a top-up of ₹500 would be notified now and charged about a day later."
    )


def test_a_trickle_of_spend_puts_no_date_on_it():
    sentence = describe(NOON_IST, 1_000_000 * RUPEE, week(0) | {TODAY: 1}, rule())
    assert sentence.endswith("your balance stays above ₹200 for years: no top-up is in sight.")


@pytest.mark.parametrize(
    "minutes,shown",
    [(0, "10 Dec 2026, 12:00 PM IST"), (7, "10 Dec 2026, 12:00 PM IST"), (8, "10 Dec 2026, 12:15 PM IST")],
)
def test_times_are_rounded_to_the_quarter_hour(minutes, shown):
    assert around(NOON_IST + timedelta(minutes=minutes)) == shown


def test_lead_times_in_words():
    assert [later(h * HOUR) for h in (25, 37, 72)] == [
        "about a day later",
        "about a day and a half later",
        "about 3 days later",
    ]


def test_an_amount_that_cannot_keep_up_is_called_out():
    # ₹500 at ₹500/day lasts a day; the next debit can land 27 h after the last at the soonest.
    sentence = describe(NOON_IST, 10_000 * RUPEE, week(500), rule())
    assert sentence.endswith(
        "At that spend ₹500 runs out before the next top-up could land: choose a larger amount "
        "or your balance will fall below the floor."
    )
    assert "choose a larger amount" not in describe(NOON_IST, 10_000 * RUPEE, week(400), rule())
