"""The rows of the API keys page."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.ist import display_ist
from billing_app.models import ApiKey
from billing_app.money import format_money, plain_amount
from billing_app.services import api_keys


@dataclass(frozen=True)
class KeyRow:
    id: int
    name: str
    prefix: str  # "sk-abc…"
    last_used: str
    spend: str  # this IST month
    budget: str  # "No limit" or the amount
    budget_input: str  # the budget as it goes back into the input, "" for none
    revoked: bool


def key_row(key: ApiKey, currency: str) -> KeyRow:
    budget = key.monthly_budget_micros
    assert key.id is not None
    return KeyRow(
        id=key.id,
        name=key.name,
        prefix=f"{key.prefix}…",
        last_used=display_ist(key.last_used_at) if key.last_used_at else "Never",
        spend=format_money(api_keys.month_spend(key), currency),
        budget="No limit" if budget is None else format_money(budget, currency),
        budget_input="" if budget is None else plain_amount(budget),
        revoked=key.revoked_at is not None,
    )
