"""Usage analytics from the daily rollups: GET /me/usage, GET /me/usage/daily and
GET /me/usage/export.csv. Days are IST calendar days (`from`/`to` inclusive, YYYY-MM-DD)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import IsoDay
from billing_app.api.schema import errors
from billing_app.services import usage

router = APIRouter(prefix="/me/usage", tags=["usage"], responses=errors(401, 422))
From = Annotated[IsoDay | None, Query(alias="from", description="first IST day (default: 29 days before `to`)")]
To = Annotated[IsoDay | None, Query(alias="to", description="last IST day (default: today in IST)")]


class TotalsOut(BaseModel):
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int


class KeyUsageOut(TotalsOut):
    key_id: int
    name: str
    prefix: str
    revoked: bool


class ModelUsageOut(TotalsOut):
    model: str


class WindowOut(TotalsOut):
    start: date
    end: date
    by_key: list[KeyUsageOut]
    by_model: list[ModelUsageOut]


class UsageOut(BaseModel):
    currency: str
    today: WindowOut
    last_30_days: WindowOut
    range: WindowOut | None = None  # only when `from` or `to` is given


class DayOut(TotalsOut):
    date: date


class DailyOut(BaseModel):
    currency: str
    start: date
    end: date
    days: list[DayOut]


def window_out(w: usage.Window) -> WindowOut:
    return WindowOut(
        start=w.start,
        end=w.end,
        **vars(w.totals),
        by_key=[
            KeyUsageOut(key_id=k.key_id, name=k.name, prefix=k.prefix, revoked=k.revoked, **vars(k.totals))
            for k in w.by_key
        ],
        by_model=[ModelUsageOut(model=m.model, **vars(m.totals)) for m in w.by_model],
    )


@router.get("")
def get_usage(principal: CurrentPrincipal, start: From = None, end: To = None) -> UsageOut:
    """Requests, tokens and cost per key and per model: today (IST) and the last 30 days,
    and the `from`..`to` range when one is given."""
    summary = usage.summary(org_id=principal.org_id)
    chosen = None
    if start is not None or end is not None:
        first, last = usage.resolve_range(start, end)
        chosen = window_out(usage.window(org_id=principal.org_id, start=first, end=last))
    return UsageOut(
        currency=principal.currency,
        today=window_out(summary.today),
        last_30_days=window_out(summary.last_30_days),
        range=chosen,
    )


@router.get("/daily")
def get_daily(principal: CurrentPrincipal, start: From = None, end: To = None) -> DailyOut:
    """One row per IST day of the range (default: the last 30 days), zeros included."""
    first, last = usage.resolve_range(start, end)
    days = usage.daily(org_id=principal.org_id, start=first, end=last)
    return DailyOut(
        currency=principal.currency,
        start=first,
        end=last,
        days=[DayOut(date=d.day, **vars(d.totals)) for d in days],
    )


@router.get("/export.csv", response_class=Response)
def export_csv(principal: CurrentPrincipal, start: From = None, end: To = None) -> Response:
    """The range's rollup rows (IST day × key × model) as CSV."""
    first, last = usage.resolve_range(start, end)
    text = usage.export_csv(org_id=principal.org_id, start=first, end=last, currency=principal.currency)
    filename = f"usage-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
