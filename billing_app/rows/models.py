"""The rows of the Models page."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.models import ModelPrice
from billing_app.money import format_money
from billing_app.rows.counts import count


@dataclass(frozen=True)
class ModelRow:
    model: str
    name: str
    provider: str
    context: str
    input: str  # per million tokens
    output: str


def model_row(row: ModelPrice, currency: str) -> ModelRow:
    return ModelRow(
        model=row.model,
        name=row.display_name,
        provider=row.provider,
        context=f"{count(row.context_window)} tokens" if row.context_window else "—",
        input=format_money(row.input_micros_per_million, currency),
        output=format_money(row.output_micros_per_million, currency),
    )
