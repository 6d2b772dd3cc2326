"""Usage analytics for the dashboard and /me/usage.

Everything here reads the usage_daily rollup (one row per org, IST day, key and model),
never the raw usage_event rows: the cost of a query grows with days × keys × models in
the window, not with the number of requests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session
from billing_app.errors import InvalidRequest
from billing_app.ist import ist_day
from billing_app.models import ApiKey, UsageDaily, UsageEvent
from billing_app.models.types import utcnow
from billing_app.money import micros_to_decimal
from billing_app.services import roles
from billing_app.services.roles import Permission

MAX_RANGE_DAYS = 366
_SUMS = (
    sa.func.coalesce(sa.func.sum(col(UsageDaily.requests)), 0),
    sa.func.coalesce(sa.func.sum(col(UsageDaily.prompt_tokens)), 0),
    sa.func.coalesce(sa.func.sum(col(UsageDaily.completion_tokens)), 0),
    sa.func.coalesce(sa.func.sum(col(UsageDaily.cost_micros)), 0),
)


@dataclass(frozen=True)
class Totals:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micros: int = 0

    @classmethod
    def of(cls, values: tuple | sa.Row) -> Totals:  # type: ignore[type-arg]
        return cls(*(int(v) for v in values))


@dataclass(frozen=True)
class KeyUsage:
    key_id: int
    name: str
    prefix: str
    revoked: bool
    totals: Totals


@dataclass(frozen=True)
class ModelUsage:
    model: str
    totals: Totals


@dataclass(frozen=True)
class Window:
    start: date  # IST days, inclusive
    end: date
    totals: Totals
    by_key: list[KeyUsage] = field(default_factory=list)
    by_model: list[ModelUsage] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    today: Window
    last_30_days: Window


@dataclass(frozen=True)
class DayUsage:
    day: date
    totals: Totals


def today(*, now: datetime | None = None) -> date:
    """The IST calendar day it is now."""
    return ist_day(now or utcnow())


def last_days(days: int, *, now: datetime | None = None) -> tuple[date, date]:
    """The `days` IST days ending today, as (first, last)."""
    end = today(now=now)
    return end - timedelta(days=days - 1), end


def resolve_range(start: date | None, end: date | None, *, now: datetime | None = None) -> tuple[date, date]:
    """A requested range with its gaps filled: `end` defaults to today (IST), `start` to
    29 days before `end`. Raises InvalidRequest for a reversed or over-long range, or a day
    outside FIRST_DAY..LAST_DAY."""
    end = end or today(now=now)
    _check_day(end, "to")
    start = start or end - timedelta(days=29)
    check_range(start, end)
    return start, end


# Usage can only have been recorded in this span, and day arithmetic stays far from the
# calendar's ends (date(1, 1, 1) - 29 days was an OverflowError answered as a 500).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _check_day(day: date, field: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(f"Choose a day from {FIRST_DAY} to {LAST_DAY}.", field=field)


def check_range(start: date, end: date) -> None:
    _check_day(start, "from")
    _check_day(end, "to")
    if start > end:
        raise InvalidRequest("The range starts after it ends.", field="from")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidRequest(f"Ask for at most {MAX_RANGE_DAYS} days at a time.", field="from")


def _in_range(org_id: int, start: date, end: date) -> list[sa.ColumnElement[bool]]:
    return [col(UsageDaily.org_id) == org_id, col(UsageDaily.day) >= start, col(UsageDaily.day) <= end]


def window(*, org_id: int, start: date, end: date) -> Window:
    """Requests, tokens and cost per key and per model over IST days start..end."""
    roles.check(org_id, Permission.VIEW_USAGE)
    check_range(start, end)
    where = _in_range(org_id, start, end)
    cost = sa.func.sum(col(UsageDaily.cost_micros))
    with read_session() as session:
        by_model = session.execute(
            sa.select(col(UsageDaily.model), *_SUMS)
            .where(*where)
            .group_by(col(UsageDaily.model))
            .order_by(cost.desc(), col(UsageDaily.model))
        ).all()
        per_key = (
            sa.select(col(UsageDaily.api_key_id).label("key_id"), *(s.label(f"s{i}") for i, s in enumerate(_SUMS)))
            .where(*where)
            .group_by(col(UsageDaily.api_key_id))
            .subquery()
        )
        by_key = session.execute(
            sa.select(
                per_key.c.key_id,
                col(ApiKey.name),
                col(ApiKey.prefix),
                col(ApiKey.revoked_at),
                *(per_key.c[f"s{i}"] for i in range(len(_SUMS))),
            )
            .join(ApiKey, col(ApiKey.id) == per_key.c.key_id)
            .order_by(per_key.c.s3.desc(), per_key.c.key_id)
        ).all()
    models = [ModelUsage(model=row[0], totals=Totals.of(row[1:])) for row in by_model]
    keys = [
        KeyUsage(key_id=row[0], name=row[1], prefix=row[2], revoked=row[3] is not None, totals=Totals.of(row[4:]))
        for row in by_key
    ]
    totals = Totals(*(sum(getattr(m.totals, f) for m in models) for f in Totals.__dataclass_fields__))
    return Window(start=start, end=end, totals=totals, by_key=keys, by_model=models)


def summary(*, org_id: int, now: datetime | None = None) -> Summary:
    """Today (IST) and the last 30 IST days, today included."""
    roles.check(org_id, Permission.VIEW_USAGE)
    start, end = last_days(30, now=now)
    return Summary(
        today=window(org_id=org_id, start=end, end=end),
        last_30_days=window(org_id=org_id, start=start, end=end),
    )


def daily(*, org_id: int, start: date, end: date) -> list[DayUsage]:
    """One row per IST day from start to end, days without usage included (as zeros)."""
    roles.check(org_id, Permission.VIEW_USAGE)
    check_range(start, end)
    with read_session() as session:
        rows = session.execute(
            sa.select(col(UsageDaily.day), *_SUMS).where(*_in_range(org_id, start, end)).group_by(col(UsageDaily.day))
        ).all()
    found = {row[0]: Totals.of(row[1:]) for row in rows}
    days = (end - start).days + 1
    return [DayUsage(day=d, totals=found.get(d, Totals())) for d in (start + timedelta(n) for n in range(days))]


CSV_HEADER = (
    "date_ist",
    "key_name",
    "key_prefix",
    "model",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "cost_micros",
    "currency",
)


def export_csv(*, org_id: int, start: date, end: date, currency: str) -> str:
    """The rollup rows of the range as CSV: one line per IST day, key and model."""
    roles.check(org_id, Permission.VIEW_USAGE)
    check_range(start, end)
    with read_session() as session:
        rows = session.execute(
            sa.select(
                col(UsageDaily.day),
                col(ApiKey.name),
                col(ApiKey.prefix),
                col(UsageDaily.model),
                col(UsageDaily.requests),
                col(UsageDaily.prompt_tokens),
                col(UsageDaily.completion_tokens),
                col(UsageDaily.cost_micros),
            )
            .join(ApiKey, col(ApiKey.id) == UsageDaily.api_key_id)
            .where(*_in_range(org_id, start, end))
            .order_by(col(UsageDaily.day), col(ApiKey.name), col(UsageDaily.model))
        ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for day, name, prefix, model, requests, prompt, completion, cost in rows:
        amount = micros_to_decimal(cost).quantize(Decimal("0.000001"))
        writer.writerow([day.isoformat(), name, prefix, model, requests, prompt, completion, amount, cost, currency])
    return out.getvalue()


def rollup_mismatches() -> list[tuple[int, int, int]]:
    """(org_id, Σ rollup cost, Σ usage-event cost) for every org where the rollup disagrees
    with the events it counts. An audit query: it scans usage_event, so never on a page."""
    with read_session() as session:
        events = dict(
            session.execute(
                sa.select(col(UsageEvent.org_id), sa.func.sum(col(UsageEvent.cost_micros))).group_by(
                    col(UsageEvent.org_id)
                )
            ).all()
        )
        rollups = dict(
            session.execute(
                sa.select(col(UsageDaily.org_id), sa.func.sum(col(UsageDaily.cost_micros))).group_by(
                    col(UsageDaily.org_id)
                )
            ).all()
        )
    return [
        (org_id, int(rollups.get(org_id) or 0), int(events.get(org_id) or 0))
        for org_id in sorted(set(events) | set(rollups))
        if int(rollups.get(org_id) or 0) != int(events.get(org_id) or 0)
    ]
