"""The money ledger. The balance on the org row changes only here (and on the metering
hot path), always in the same transaction as the row that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.models import EntryKind, LedgerEntry, Org, UsageEvent
from billing_app.models.types import MAX_BIGINT
from billing_app.services import audit as audit_log
from billing_app.services import roles
from billing_app.services.alerts import queue_low_balance_alert
from billing_app.services.roles import Permission


def post_entry(
    session: Session,
    *,
    org_id: int,
    kind: EntryKind,
    amount_micros: int,
    description: str,
    external_ref: str | None = None,
    payment_id: str | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Move the balance and append the entry explaining it, inside the caller's transaction.
    A decrease that leaves the balance below the org's low-balance threshold queues the
    alert email in the same transaction (services/alerts.py; `now` is its clock).

    The balance is changed by one atomic `UPDATE … RETURNING`, so concurrent postings
    never lose an update and `balance_after` is exact. A second entry with the same
    (kind, external_ref) violates a unique constraint and aborts the caller's transaction.
    """
    new_balance = session.execute(
        update(Org)
        .where(col(Org.id) == org_id)
        .values(balance_micros=col(Org.balance_micros) + amount_micros)
        .returning(col(Org.balance_micros))
    ).scalar_one_or_none()
    if new_balance is None:
        raise NotFound("No such organisation.")
    if amount_micros < 0:
        queue_low_balance_alert(session, org_id=org_id, now=now)
    entry = LedgerEntry(
        org_id=org_id,
        kind=kind,
        amount_micros=amount_micros,
        balance_after_micros=new_balance,
        description=description[:300],
        external_ref=external_ref,
        payment_id=payment_id,
        created_by_user_id=user_id,
    )
    session.add(entry)
    session.flush()
    return entry


def add_manual_entry(*, org_id: int, amount_micros: int, reason: str, user_id: int | None = None) -> LedgerEntry:
    """An operator's credit (positive) or debit (negative) with a reason. Not idempotent:
    each call is a new entry. A debit may take the balance below zero (it is a correction)."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("A manual entry needs a reason.")
    if amount_micros == 0:
        raise InvalidRequest("A manual entry needs a non-zero amount.")
    with write_session() as session:
        entry = post_entry(
            session,
            org_id=org_id,
            kind=EntryKind.MANUAL,
            amount_micros=amount_micros,
            description=reason,
            user_id=user_id,
        )
        session.flush()
        audit_log.record(
            session,
            org_id=org_id,
            action="ledger.manual_entry",
            subject=f"entry:{entry.id}",
            after={"amount_micros": amount_micros, "reason": reason},
        )
        return entry


@dataclass(frozen=True)
class Mismatch:
    org_id: int
    balance_micros: int
    explained_micros: int


def explained_balances(session: Session) -> dict[int, int]:
    """Σ ledger entries − Σ usage costs, per org: what each balance should be."""
    rows = session.execute(
        select(col(LedgerEntry.org_id), func.coalesce(func.sum(col(LedgerEntry.amount_micros)), 0)).group_by(
            col(LedgerEntry.org_id)
        )
    ).all()
    explained = {org_id: int(total) for org_id, total in rows}
    usage = session.execute(
        select(col(UsageEvent.org_id), func.sum(col(UsageEvent.cost_micros))).group_by(col(UsageEvent.org_id))
    ).all()
    for org_id, cost in usage:
        explained[org_id] = explained.get(org_id, 0) - int(cost)
    return explained


def audit() -> list[Mismatch]:
    """Every org whose balance is not Σ ledger − Σ usage (empty list: all good)."""
    with read_session() as session:
        explained = explained_balances(session)
        orgs = session.execute(select(col(Org.id), col(Org.balance_micros))).all()
    return [
        Mismatch(org_id=org_id, balance_micros=balance, explained_micros=explained.get(org_id, 0))
        for org_id, balance in orgs
        if balance != explained.get(org_id, 0)
    ]


@dataclass(frozen=True)
class Page:
    entries: list[LedgerEntry]
    next_cursor: str | None


MAX_PAGE_SIZE = 100


def list_entries(*, org_id: int, limit: int = 20, cursor: str | None = None) -> Page:
    """The org's ledger, newest first, by keyset (`id < cursor`): no OFFSET scans."""
    roles.check(org_id, Permission.PAY)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = select(LedgerEntry).where(col(LedgerEntry.org_id) == org_id)
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_BIGINT:
            raise InvalidRequest("cursor is not one this API returned.", field="cursor")
        query = query.where(col(LedgerEntry.id) < int(cursor))
    with read_session() as session:
        rows = list(session.execute(query.order_by(col(LedgerEntry.id).desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(entries=rows, next_cursor=str(rows[-1].id) if more else None)


def get_balance(*, org_id: int) -> int:
    roles.check(org_id, Permission.VIEW_BALANCE)
    with read_session() as session:
        balance = session.execute(select(col(Org.balance_micros)).where(col(Org.id) == org_id)).scalar_one_or_none()
    if balance is None:
        raise NotFound("No such organisation.")
    return balance
