"""GET /me/billing: the money-event ledger and the balance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import Cursor
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.models import LedgerEntry
from billing_app.services import ledger

router = APIRouter(prefix="/me", tags=["billing"], responses=errors(401, 422))


class EntryOut(BaseModel):
    id: int
    type: str
    amount_micros: int
    balance_after_micros: int
    description: str
    created_at: str
    payment_id: str | None


class BillingOut(BaseModel):
    currency: str
    balance_micros: int
    entries: list[EntryOut]
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


@router.get("/billing")
async def get_billing(
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=ledger.MAX_PAGE_SIZE)] = 20,
    cursor: Cursor = None,
) -> BillingOut:
    page = ledger.list_entries(org_id=principal.org_id, limit=limit, cursor=cursor)
    return BillingOut(
        currency=principal.currency,
        balance_micros=ledger.get_balance(org_id=principal.org_id),
        entries=[entry_out(e) for e in page.entries],
        next_cursor=page.next_cursor,
    )
