from datetime import UTC, date, datetime

from billing_app.ist import display_ist, iso_ist, ist_day, ist_month_start, ist_next_month_start


def test_ist_day_turns_at_1830_utc():
    assert ist_day(datetime(2026, 11, 23, 18, 29, 59, tzinfo=UTC)) == date(2026, 11, 23)
    assert ist_day(datetime(2026, 11, 23, 18, 30, 0, tzinfo=UTC)) == date(2026, 11, 24)


def test_month_window_is_ist_calendar_month():
    moment = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 00:00 IST on 1 December
    assert ist_month_start(moment) == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert ist_next_month_start(moment) == datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    just_before = datetime(2026, 11, 30, 18, 29, 59, tzinfo=UTC)  # 23:59:59 IST, 30 November
    assert ist_month_start(just_before) == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)


def test_times_are_shown_in_ist():
    moment = datetime(2026, 11, 23, 14, 35, tzinfo=UTC)
    assert iso_ist(moment) == "2026-11-23T20:05:00+05:30"
    assert display_ist(moment) == "23 Nov 2026, 08:05 PM IST"
