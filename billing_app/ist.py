"""India Standard Time: stored times are UTC; people see IST, and "today", daily buckets,
monthly budget windows and receipt times are IST calendar boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def to_ist(moment: datetime) -> datetime:
    return moment.astimezone(IST)


def iso_ist(moment: datetime) -> str:
    """ISO 8601 with the +05:30 offset, to the second."""
    return to_ist(moment).isoformat(timespec="seconds")


def display_ist(moment: datetime) -> str:
    """'23 Nov 2026, 08:05 PM IST' — how the dashboard and receipts show a time."""
    return to_ist(moment).strftime("%d %b %Y, %I:%M %p IST")


def ist_day(moment: datetime) -> date:
    return to_ist(moment).date()


def ist_day_start(day: date) -> datetime:
    """The UTC instant an IST calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=IST).astimezone(UTC)


def ist_month_start(moment: datetime) -> datetime:
    """The UTC instant the IST calendar month containing `moment` starts."""
    return ist_day_start(ist_day(moment).replace(day=1))


def ist_next_month_start(moment: datetime) -> datetime:
    first = ist_day(moment).replace(day=1)
    return ist_day_start((first + timedelta(days=32)).replace(day=1))
