"""The lists behind the overview's figures: the orgs in credit, the top-ups and refunds of a
window, the active orgs and the email backlog, so a figure that looks wrong is one click from
the rows that make it.

Each list selects with the very conditions its figure counts with (the `*_filter` functions and
`active_org_ids` of services/console/overview.py), so a list and its figure cannot disagree.
Pages are keyset-paged on the row id, newest first (`next_cursor` is the last row's id): no
OFFSET scans, and a row written while the operator pages does not shift the next page. Payments
and ledger entries are written when they are credited or debited, so the newest id is also the
latest `captured_at` or `created_at`; orgs come newest org first.

The email backlog shows who an email goes to and why it has not gone yet, never its payload: a
verification, reset or invitation email carries a link token until it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from billing_app.db import read_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.models import EmailOutbox, LedgerEntry, Membership, Org, Payment, UsageDaily, User
from billing_app.models.types import MAX_BIGINT, utcnow
from billing_app.services import staff
from billing_app.services.alerts import owner_of
from billing_app.services.console import overview
from billing_app.services.roles import Role

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
WINDOWED = (overview.TOPUPS, overview.REFUNDS)
KEYS = (overview.ORGS_IN_CREDIT, overview.TOPUPS, overview.REFUNDS, overview.ACTIVE_ORGS, overview.OUTBOX_BACKLOG)


@dataclass(frozen=True)
class OrgInCredit:
    org_id: int
    org_name: str
    owner_email: str | None  # the first owner's; None for an org left without one
    balance_micros: int
    currency: str


@dataclass(frozen=True)
class Topup:
    """A credited payment."""

    payment_id: str  # Razorpay's
    org_id: int
    org_name: str
    amount_paise: int
    method: str
    captured_at: datetime


@dataclass(frozen=True)
class RefundRow:
    """A `refund` ledger entry: the credits taken back when Razorpay processed a refund."""

    entry_id: int
    org_id: int
    org_name: str
    amount_micros: int  # the credits debited, as a positive amount
    currency: str
    payment_id: str | None  # the Razorpay payment refunded
    created_at: datetime


@dataclass(frozen=True)
class ActiveOrg:
    org_id: int
    org_name: str
    last_usage_day: date | None  # the last IST day with a usage_daily row, ever
    last_topup_at: datetime | None  # the last credited payment's capture, ever


@dataclass(frozen=True)
class BacklogEmail:
    """An email not sent yet (pending, or claimed by a sender that has not finished)."""

    id: int
    org_id: int
    org_name: str
    kind: str
    recipient: str | None  # None: the org has no owner to send it to
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


Row = OrgInCredit | Topup | RefundRow | ActiveOrg | BacklogEmail


@dataclass(frozen=True)
class ListPage:
    """One page of a list: `window` is `today` or `30d` for top-ups and refunds, else None."""

    key: str
    window: str | None
    rows: list[Row]
    next_cursor: str | None


def list_page(
    *,
    key: str,
    window: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> ListPage:
    """One page of the list `key` (an overview figure's `list_key`), newest first; `cursor` is
    the previous page's `next_cursor`. Top-ups and refunds take a `window` (`today` or `30d`,
    IST days as on the overview; 30 days when not given). NotFound for a key with no list here
    (unpaid orders and webhooks are the attention page's); InvalidRequest for a bad window or
    cursor."""
    staff.require()
    if key not in KEYS:
        raise NotFound("No such list.")
    if key in WINDOWED:
        window = window or overview.LAST_30_DAYS
        if window not in overview.WINDOWS:
            raise InvalidRequest(f"window is one of {', '.join(overview.WINDOWS)}.", field="window")
    else:
        window = None
    before = _before(cursor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    now = now or utcnow()
    with read_session() as session:
        since = overview.window_start(window, now) if window else now
        found = _ROWS[key](session, _Page(since=since, now=now, before=before, limit=limit + 1))
    more = len(found) > limit
    found = found[:limit]
    return ListPage(
        key=key,
        window=window,
        rows=[row for _, row in found],
        next_cursor=str(found[-1][0]) if more and found else None,
    )


def _before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 19 or int(cursor) > MAX_BIGINT:
        raise InvalidRequest("cursor is not one this API returned.", field="cursor")
    return int(cursor)


@dataclass(frozen=True)
class _Page:
    since: datetime  # where a window starts (top-ups, refunds)
    now: datetime
    before: int | None  # the keyset: ids below this one
    limit: int

    def of(self, query: Any, id_column: Any) -> Any:
        if self.before is not None:
            query = query.where(id_column < self.before)
        return query.order_by(id_column.desc()).limit(self.limit)


Found = list[tuple[int, Row]]  # (the row's id for the keyset, the row)


def _owners(session: Session, org_ids: list[int]) -> dict[int, str]:
    """Each org's first owner's email (by when they joined)."""
    rows = session.execute(
        sa.select(col(Membership.org_id), col(User.email))
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.org_id).in_(org_ids), col(Membership.role) == Role.OWNER)
        .order_by(col(Membership.id).desc())
    ).all()
    return {org_id: email for org_id, email in rows}  # the last write wins: the first owner


def _orgs_in_credit(session: Session, page: _Page) -> Found:
    query = sa.select(col(Org.id), col(Org.name), col(Org.balance_micros), col(Org.currency))
    found = session.execute(page.of(query.where(*overview.orgs_in_credit_filter()), col(Org.id))).all()
    owners = _owners(session, [org_id for org_id, *_ in found])
    return [
        (org_id, OrgInCredit(org_id, name, owners.get(org_id), balance, currency))
        for org_id, name, balance, currency in found
    ]


def _topups(session: Session, page: _Page) -> Found:
    query = (
        sa.select(Payment, col(Org.name))
        .join(Org, col(Org.id) == col(Payment.org_id))
        .where(*overview.topups_filter(page.since))
    )
    return [
        (
            payment.id,
            Topup(
                payment_id=payment.razorpay_payment_id,
                org_id=payment.org_id,
                org_name=name,
                amount_paise=payment.amount_paise,
                method=payment.method,
                captured_at=payment.captured_at,
            ),
        )
        for payment, name in session.execute(page.of(query, col(Payment.id))).all()
    ]


def _refunds(session: Session, page: _Page) -> Found:
    query = (
        sa.select(LedgerEntry, col(Org.name), col(Org.currency))
        .join(Org, col(Org.id) == col(LedgerEntry.org_id))
        .where(*overview.refunds_filter(page.since))
    )
    return [
        (
            entry.id,
            RefundRow(
                entry_id=entry.id,
                org_id=entry.org_id,
                org_name=name,
                amount_micros=-entry.amount_micros,
                currency=currency,
                payment_id=entry.payment_id,
                created_at=entry.created_at,
            ),
        )
        for entry, name, currency in session.execute(page.of(query, col(LedgerEntry.id))).all()
    ]


def _active_orgs(session: Session, page: _Page) -> Found:
    last_usage = (
        sa.select(sa.func.max(col(UsageDaily.day))).where(col(UsageDaily.org_id) == col(Org.id)).scalar_subquery()
    )
    last_topup = (
        sa.select(sa.func.max(col(Payment.captured_at))).where(col(Payment.org_id) == col(Org.id)).scalar_subquery()
    )
    active = overview.active_org_ids(page.now).subquery()
    query = sa.select(col(Org.id), col(Org.name), last_usage, last_topup).where(col(Org.id).in_(sa.select(active.c[0])))
    return [
        (org_id, ActiveOrg(org_id, name, used, topped))
        for org_id, name, used, topped in session.execute(page.of(query, col(Org.id))).all()
    ]


def _backlog(session: Session, page: _Page) -> Found:
    query = (
        sa.select(EmailOutbox, col(Org.name))
        .join(Org, col(Org.id) == col(EmailOutbox.org_id))
        .where(*overview.outbox_backlog_filter())
    )
    found: Found = []
    for email, name in session.execute(page.of(query, col(EmailOutbox.id))).all():
        found.append(
            (
                email.id,
                BacklogEmail(
                    id=email.id,
                    org_id=email.org_id,
                    org_name=name,
                    kind=email.kind,
                    recipient=_recipient(session, email),
                    status=email.status,
                    attempts=email.attempts,
                    next_attempt_at=email.next_attempt_at,
                    last_error=email.last_error,
                    created_at=email.created_at,
                ),
            )
        )
    return found


def _recipient(session: Session, email: EmailOutbox) -> str | None:
    """Where the sender will send it (services/outbox.claim_email decides the same way): the
    address an email to a person names, otherwise the org's owner. Only the address is read
    out of the payload: the rest stays in the database."""
    if email.to_email:
        return email.to_email
    try:
        named = json.loads(email.payload).get("to_email")
    except (ValueError, AttributeError):
        named = None
    if isinstance(named, str):
        return named
    owner = owner_of(session, email.org_id)
    return owner[0] if owner else None


_ROWS = {
    overview.ORGS_IN_CREDIT: _orgs_in_credit,
    overview.TOPUPS: _topups,
    overview.REFUNDS: _refunds,
    overview.ACTIVE_ORGS: _active_orgs,
    overview.OUTBOX_BACKLOG: _backlog,
}
