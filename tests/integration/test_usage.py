"""Usage analytics read the daily rollups: per key, per model, per IST day, CSV, and the
`deduction` rows the billing history can show beside the money events."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from billing_app.db import write_engine
from billing_app.errors import InvalidRequest
from billing_app.models import LedgerEntry
from billing_app.models.types import utcnow
from billing_app.services import api_keys, history, ledger, metering, usage
from tests.factories import make_org


@pytest.fixture
def org(any_db) -> int:
    return make_org(metered=True)


def record(key: str, request_id: str, model: str, prompt: int, completion: int, **kw) -> int:
    return metering.record_usage(
        api_key=key, request_id=request_id, model=model, prompt_tokens=prompt, completion_tokens=completion, **kw
    ).cost_micros


def test_window_breaks_down_by_key_and_model(org):
    web = api_keys.create_key(org_id=org, name="web").secret
    batch = api_keys.create_key(org_id=org, name="batch").secret
    costs = [
        record(web, "1", "sandbox-echo", 100, 100),
        record(web, "2", "openai/gpt-4o", 1000, 1000),
        record(batch, "3", "openai/gpt-4o", 10, 10),
    ]
    record(api_keys.create_key(org_id=make_org(), name="x").secret, "9", "openai/gpt-4o", 5, 5)
    window = usage.window(org_id=org, start=usage.today(), end=usage.today())
    assert window.totals == usage.Totals(3, 1110, 1110, sum(costs))
    assert [(m.model, m.totals.requests) for m in window.by_model] == [("openai/gpt-4o", 2), ("sandbox-echo", 1)]
    assert [(k.name, k.totals.requests, k.totals.cost_micros) for k in window.by_key] == [
        ("web", 2, costs[0] + costs[1]),
        ("batch", 1, costs[2]),
    ]
    assert all(k.prefix.startswith("sk-live-") and not k.revoked for k in window.by_key)


def test_daily_has_one_row_per_ist_day_including_empty_ones(org):
    key = api_keys.create_key(org_id=org, name="k").secret
    now = utcnow()
    record(key, "old", "sandbox-echo", 0, 1000, now=now - timedelta(days=3))
    record(key, "new", "sandbox-echo", 0, 1000)
    start, end = usage.last_days(30)
    days = usage.daily(org_id=org, start=start, end=end)
    assert len(days) == 30 and days[0].day == start and days[-1].day == end
    assert [d.totals.requests for d in days if d.totals.requests] == [1, 1]
    assert days[-1].totals.cost_micros == 56_100 and days[-4].totals.cost_micros == 56_100


def test_ranges_are_checked(org):
    today = usage.today()
    with pytest.raises(InvalidRequest):
        usage.window(org_id=org, start=today, end=today - timedelta(days=1))
    with pytest.raises(InvalidRequest):
        usage.daily(org_id=org, start=today - timedelta(days=usage.MAX_RANGE_DAYS), end=today)
    assert usage.resolve_range(None, None) == usage.last_days(30)


def test_analytics_never_read_the_raw_usage_rows(org):
    key = api_keys.create_key(org_id=org, name="k").secret
    record(key, "1", "sandbox-echo", 5, 5)
    before = usage.summary(org_id=org)
    with write_engine().begin() as conn:  # without the raw rows, the rollups still answer
        conn.execute(sa.text("delete from usage_event"))
    assert usage.summary(org_id=org) == before
    assert usage.daily(org_id=org, start=usage.today(), end=usage.today())[0].totals.requests == 1


def test_csv_export(org):
    key = api_keys.create_key(org_id=org, name="prod, eu").secret
    cost = record(key, "1", "sandbox-echo", 1000, 500)
    text = usage.export_csv(org_id=org, start=usage.today(), end=usage.today(), currency="INR")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(usage.CSV_HEADER)
    [row] = rows
    assert row["key_name"] == "prod, eu"
    assert (row["model"], row["requests"], row["prompt_tokens"], row["completion_tokens"]) == (
        "sandbox-echo",
        "1",
        "1000",
        "500",
    )
    assert (row["cost"], row["cost_micros"], row["currency"]) == ("0.042075", str(cost), "INR")
    assert row["date_ist"] == usage.today().isoformat()


def test_daily_deductions_land_on_exactly_one_ledger_page(org):
    key = api_keys.create_key(org_id=org, name="k").secret
    now = utcnow()
    for days_ago in (3, 2, 1, 0):
        record(key, f"d{days_ago}", "sandbox-echo", 0, 1000, now=now - timedelta(days=days_ago, seconds=5))
    for i in range(2):
        ledger.add_manual_entry(org_id=org, amount_micros=1_000_000, reason=f"credit {i}")

    seen: list[tuple[str, object]] = []
    cursor: str | None = None
    while True:
        page = ledger.list_entries(org_id=org, limit=1, cursor=cursor)
        items = history.with_daily_deductions(org_id=org, page=page, cursor=cursor)
        times = [i.created_at if isinstance(i, LedgerEntry) else i.at for i in items]
        assert times == sorted(times, reverse=True)
        seen += [("entry", i.id) if isinstance(i, LedgerEntry) else ("day", i.day) for i in items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    days = [what for kind, what in seen if kind == "day"]
    assert len(days) == len(set(days)) == 4  # every usage day once, across all pages
    assert sum(1 for kind, _ in seen if kind == "entry") == 3
    newest = history.deductions_for_ledger_page(org_id=org, oldest=None, before_entry_id=None)[0]
    assert (newest.cost_micros, newest.description) == (56_100, "API usage: 1 request, 1,000 tokens")
