"""The header's organisation switcher: the other orgs a person can act for."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.money import format_money
from billing_app.services.orgs import OrgRow


@dataclass(frozen=True)
class OrgChoice:
    id: int
    name: str
    detail: str  # "developer · ₹7.00": the person's role there and that org's balance


def org_choice(row: OrgRow) -> OrgChoice:
    return OrgChoice(id=row.id, name=row.name, detail=f"{row.role} · {format_money(row.balance_micros, row.currency)}")
