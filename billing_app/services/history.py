"""The org's money history: the ledger, newest first and keyset-paged, with (on request)
one `deduction` line per IST day of API usage sorted in among the entries. Both
GET /me/billing and the Billing page read it here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from babel.numbers import format_decimal
from sqlmodel import col

from billing_app.db import read_session
from billing_app.ist import ist_day, ist_day_start
from billing_app.models import LedgerEntry, UsageDaily
from billing_app.models.types import utcnow
from billing_app.services import ledger, roles
from billing_app.services.roles import Permission


@dataclass(frozen=True)
class Deduction:
    """A day of usage shown as one `deduction` line beside the money ledger."""

    day: date
    at: datetime  # where it sorts among ledger entries: the end of the IST day, or now
    requests: int
    tokens: int
    cost_micros: int

    @property
    def description(self) -> str:
        plural = "" if self.requests == 1 else "s"
        requests, tokens = format_decimal(self.requests, locale="en_IN"), format_decimal(self.tokens, locale="en_IN")
        return f"API usage: {requests} request{plural}, {tokens} tokens"


HistoryItem = LedgerEntry | Deduction


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryItem]  # newest first
    next_cursor: str | None  # the ledger's cursor: usage days never start or end a page


def history_page(
    *, org_id: int, limit: int = 20, cursor: str | None = None, daily_usage: bool = False, now: datetime | None = None
) -> HistoryPage:
    """One page of the ledger (ledger.list_entries: same limit, same cursors, same
    InvalidRequest for a cursor it did not hand out), and with `daily_usage` the usage
    days that sort into it. Each day lands on exactly one page."""
    roles.check(org_id, Permission.PAY)
    page = ledger.list_entries(org_id=org_id, limit=limit, cursor=cursor)
    if not daily_usage:
        return HistoryPage(items=list(page.entries), next_cursor=page.next_cursor)
    return HistoryPage(
        items=with_daily_deductions(org_id=org_id, page=page, cursor=cursor, now=now), next_cursor=page.next_cursor
    )


def with_daily_deductions(
    *, org_id: int, page: ledger.Page, cursor: str | None, now: datetime | None = None
) -> list[HistoryItem]:
    """One page of the ledger with the usage days that sort into it, newest first."""
    oldest = page.entries[-1] if page.next_cursor and page.entries else None
    days = deductions_for_ledger_page(org_id=org_id, oldest=oldest, before_entry_id=cursor, now=now)
    items: list[HistoryItem] = [*page.entries, *days]
    return sorted(items, key=lambda item: item.created_at if isinstance(item, LedgerEntry) else item.at, reverse=True)


def deductions_for_ledger_page(
    *, org_id: int, oldest: LedgerEntry | None, before_entry_id: str | None, now: datetime | None = None
) -> list[Deduction]:
    """The usage days that sort into one page of the ledger (newest first, keyset-paged):
    after `oldest` (the page's last entry when more pages follow, else None: no lower
    bound) and not after the entry that ends the previous page (`before_entry_id`, the
    page's cursor; None on the first page). Each day lands on exactly one page."""
    now = now or utcnow()
    with read_session() as session:
        before = None
        if before_entry_id and before_entry_id.isdigit():
            before = session.execute(
                sa.select(col(LedgerEntry.created_at)).where(
                    col(LedgerEntry.id) == int(before_entry_id), col(LedgerEntry.org_id) == org_id
                )
            ).scalar_one_or_none()
        query = sa.select(
            col(UsageDaily.day),
            sa.func.sum(col(UsageDaily.requests)),
            sa.func.sum(col(UsageDaily.prompt_tokens) + col(UsageDaily.completion_tokens)),
            sa.func.sum(col(UsageDaily.cost_micros)),
        ).where(col(UsageDaily.org_id) == org_id)
        # A day sorts at its end, so it can only land at or after its own date.
        if oldest is not None:
            query = query.where(col(UsageDaily.day) >= ist_day(oldest.created_at))
        if before is not None:
            query = query.where(col(UsageDaily.day) <= ist_day(before))
        rows = session.execute(query.group_by(col(UsageDaily.day)).order_by(col(UsageDaily.day).desc())).all()
    result = []
    for day, requests, tokens, cost in rows:
        at = min(ist_day_start(day + timedelta(days=1)) - timedelta(microseconds=1), now)
        if (oldest is None or at > oldest.created_at) and (before is None or at <= before):
            result.append(Deduction(day=day, at=at, requests=int(requests), tokens=int(tokens), cost_micros=int(cost)))
    return result
