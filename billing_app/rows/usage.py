"""The figures of the Usage page: totals per model or key, and the chart's bars."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing_app.money import format_money, micros_to_decimal
from billing_app.rows.counts import count
from billing_app.services import usage


@dataclass(frozen=True)
class TotalsRow:
    label: str  # the model, or the key's name
    prefix: str  # the key's prefix ("sk-abc…"); "" for a model
    requests: str
    prompt: str
    completion: str
    cost: str
    revoked: bool = False


@dataclass(frozen=True)
class ChartPoint:
    """A bar of the chart. Recharts needs a number: the amount to 2 decimals, for drawing only."""

    day: str
    spend: float
    requests: int


def totals_row(label: str, t: usage.Totals, currency: str, *, prefix: str = "", revoked: bool = False) -> TotalsRow:
    return TotalsRow(
        label=label,
        prefix=prefix,
        requests=count(t.requests),
        prompt=count(t.prompt_tokens),
        completion=count(t.completion_tokens),
        cost=format_money(t.cost_micros, currency),
        revoked=revoked,
    )


def chart_point(day: usage.DayUsage) -> ChartPoint:
    spend = float(micros_to_decimal(day.totals.cost_micros).quantize(Decimal("0.01")))
    return ChartPoint(day=day.day.strftime("%d %b"), spend=spend, requests=day.totals.requests)
