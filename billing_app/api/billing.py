"""GET /me/billing: the money-event ledger and the balance; with ?include_usage=daily,
one `deduction` line per IST day of API usage sorted in among the entries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import Cursor
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.models import LedgerEntry
from billing_app.services import history, ledger

router = APIRouter(prefix="/me", tags=["billing"], responses=errors(401, 422))


class EntryOut(BaseModel):
    id: int
    type: str
    amount_micros: int
    balance_after_micros: int
    description: str
    created_at: str
    payment_id: str | None


class DeductionOut(BaseModel):
    """A day of usage (only with ?include_usage=daily): not a ledger entry, so no id and no
    balance after it; `created_at` is where it sorts, the end of the IST day (or now)."""

    id: None = None
    type: Literal["deduction"] = "deduction"
    amount_micros: int  # negative: what the day's requests cost
    balance_after_micros: None = None
    description: str
    created_at: str
    payment_id: None = None
    date_ist: str
    requests: int
    tokens: int


class BillingOut(BaseModel):
    currency: str
    balance_micros: int
    entries: list[EntryOut | DeductionOut]
    next_cursor: str | None


def entry_out(entry: LedgerEntry) -> EntryOut:
    assert entry.id is not None
    return EntryOut(
        id=entry.id,
        type=entry.kind,
        amount_micros=entry.amount_micros,
        balance_after_micros=entry.balance_after_micros,
        description=entry.description,
        created_at=iso_ist(entry.created_at),
        payment_id=entry.payment_id,
    )


def deduction_out(day: history.Deduction) -> DeductionOut:
    return DeductionOut(
        amount_micros=-day.cost_micros,
        description=day.description,
        created_at=iso_ist(day.at),
        date_ist=day.day.isoformat(),
        requests=day.requests,
        tokens=day.tokens,
    )


@router.get("/billing")
async def get_billing(
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=ledger.MAX_PAGE_SIZE)] = 20,
    cursor: Cursor = None,
    include_usage: Annotated[
        Literal["daily"] | None, Query(description="daily: add a line per IST day of usage")
    ] = None,
) -> BillingOut:
    page = history.history_page(
        org_id=principal.org_id, limit=limit, cursor=cursor, daily_usage=include_usage == "daily"
    )
    return BillingOut(
        currency=principal.currency,
        balance_micros=ledger.get_balance(org_id=principal.org_id),
        entries=[entry_out(i) if isinstance(i, LedgerEntry) else deduction_out(i) for i in page.items],
        next_cursor=page.next_cursor,
    )
