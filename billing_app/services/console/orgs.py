"""The console's orgs: finding a customer's org from whatever they quote (its name, an email of
theirs, the org id, a Razorpay payment or order id), and everything an operator needs to see
about it on one page. Reading only: the console's changes (credits, refunds) live in modules
of their own.

The org page reuses the services the customer's own dashboard reads (members, ledger, keys,
usage, alerts, audit log): staff pass their role checks (services/roles.check), so what the
operator sees is what the customer sees, computed the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session
from billing_app.errors import InvalidRequest, NotFound, PaymentGatewayError
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import Membership, Org, Payment, PaymentOrder, User
from billing_app.models.types import MAX_BIGINT
from billing_app.services import alerts, api_keys, audit, ledger, members, staff, usage
from billing_app.services.roles import Role

MAX_RESULTS = 50
MAX_QUERY = 254  # the longest email address
PAGE_SIZE = 20


@dataclass(frozen=True)
class OrgHit:
    """One org found by a search, and what matched (`name`, `email`, `org_id`, `payment_id`,
    `order_id`), so the operator sees why it is in the list."""

    id: int
    name: str
    owner_email: str | None  # the first owner's; None for an org left without one
    balance_micros: int
    currency: str
    created_at: datetime
    matched: tuple[str, ...]


def search(*, q: str) -> list[OrgHit]:
    """Orgs whose name contains `q` (any case), with a member whose email contains it, whose id
    it is, or that own the Razorpay payment or order it names. Newest org first, at most
    MAX_RESULTS. InvalidRequest (field `q`) for an empty or over-long query."""
    staff.require()
    q = q.strip()
    if not q or len(q) > MAX_QUERY:
        raise InvalidRequest(f"Type 1 to {MAX_QUERY} characters to search for.", field="q")
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    queries: dict[str, sa.Select[Any]] = {
        "name": sa.select(col(Org.id)).where(sa.func.lower(col(Org.name)).like(pattern, escape="\\")),
        "email": sa.select(col(Membership.org_id))
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(User.email).like(pattern, escape="\\")),
        "payment_id": sa.select(col(Payment.org_id)).where(col(Payment.razorpay_payment_id) == q),
        "order_id": sa.select(col(PaymentOrder.org_id)).where(col(PaymentOrder.razorpay_order_id) == q),
    }
    if q.isascii() and q.isdigit() and int(q) <= MAX_BIGINT:
        queries["org_id"] = sa.select(col(Org.id)).where(col(Org.id) == int(q))
    matched: dict[int, list[str]] = {}
    with read_session() as session:
        for key, query in queries.items():
            for org_id in session.execute(query.limit(MAX_RESULTS)).scalars():
                matched.setdefault(org_id, [])
                if key not in matched[org_id]:
                    matched[org_id].append(key)
        orgs = session.execute(
            sa.select(Org).where(col(Org.id).in_(matched)).order_by(col(Org.id).desc()).limit(MAX_RESULTS)
        ).scalars()
        owners = _owner_emails(session, list(matched))
        return [
            OrgHit(
                id=org.id,
                name=org.name,
                owner_email=owners.get(org.id),
                balance_micros=org.balance_micros,
                currency=org.currency,
                created_at=org.created_at,
                matched=tuple(matched[org.id]),
            )
            for org in orgs
            if org.id is not None
        ]


def _owner_emails(session: sa.orm.Session, org_ids: list[int]) -> dict[int, str]:
    """The first owner's email (by when they joined) of each org."""
    rows = session.execute(
        sa.select(col(Membership.org_id), col(User.email))
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.org_id).in_(org_ids), col(Membership.role) == Role.OWNER)
        .order_by(col(Membership.id).desc())
    ).all()
    return {org_id: email for org_id, email in rows}  # the last write wins: the first owner


@dataclass(frozen=True)
class KeyRow:
    id: int
    name: str
    prefix: str
    monthly_budget_micros: int | None  # None: no budget
    month_spend_micros: int  # this IST month's
    status: str  # "active" or "revoked"
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class OrderRow:
    """A top-up order and, once credited, its payment (Razorpay's own view is `live_payment`)."""

    id: int
    receipt: str
    razorpay_order_id: str | None
    status: str  # created, pending, paid (services/topups)
    amount_paise: int
    currency: str
    credits_micros: int
    promo_code: str | None
    created_at: datetime
    paid_at: datetime | None
    payment_id: str | None
    method: str | None
    refunded_paise: int | None


@dataclass(frozen=True)
class OrdersPage:
    orders: list[OrderRow]
    next_cursor: str | None


@dataclass(frozen=True)
class OrgPage:
    """Everything on an org's page; the ledger, orders and audit trail are their first pages
    (each has a function of its own for the next ones)."""

    id: int
    name: str
    currency: str
    balance_micros: int
    created_at: datetime
    members: members.Members
    alerts: alerts.AlertSettings
    keys: list[KeyRow]
    usage: usage.Summary
    ledger: ledger.Page
    orders: OrdersPage
    audit: audit.AuditPage


def org_page(*, org_id: int) -> OrgPage:
    """The org's page. NotFound for an org that does not exist."""
    staff.require()
    org = _org(org_id)
    assert org.id is not None
    return OrgPage(
        id=org.id,
        name=org.name,
        currency=org.currency,
        balance_micros=org.balance_micros,
        created_at=org.created_at,
        members=members.list_members(org_id=org_id),
        alerts=alerts.get_alert_settings(org_id=org_id),
        keys=keys(org_id=org_id),
        usage=usage.summary(org_id=org_id),
        ledger=ledger_page(org_id=org_id),
        orders=orders_page(org_id=org_id),
        audit=audit_page(org_id=org_id),
    )


def _org(org_id: int) -> Org:
    with read_session() as session:
        org = session.get(Org, org_id) if 0 < org_id <= MAX_BIGINT else None
    if org is None:
        raise NotFound("No such organisation.")
    return org


def keys(*, org_id: int) -> list[KeyRow]:
    """The org's API keys, revoked ones included, with this IST month's spend."""
    staff.require()
    _org(org_id)
    return [
        KeyRow(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            monthly_budget_micros=key.monthly_budget_micros,
            month_spend_micros=api_keys.month_spend(key),
            status="revoked" if key.revoked_at is not None else "active",
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )
        for key in api_keys.list_keys(org_id=org_id)
        if key.id is not None
    ]


def ledger_page(*, org_id: int, cursor: str | None = None, limit: int = PAGE_SIZE) -> ledger.Page:
    """The org's money ledger, newest first (`cursor`: the previous page's `next_cursor`)."""
    staff.require()
    _org(org_id)
    return ledger.list_entries(org_id=org_id, limit=limit, cursor=cursor)


def audit_page(*, org_id: int, cursor: str | None = None, limit: int = PAGE_SIZE) -> audit.AuditPage:
    """The org's audit trail, newest first (console actions on it included)."""
    staff.require()
    _org(org_id)
    return audit.list_events(org_id=org_id, limit=limit, cursor=cursor)


def orders_page(*, org_id: int, cursor: str | None = None, limit: int = PAGE_SIZE) -> OrdersPage:
    """The org's top-up orders with their payments, newest first, every status (an order
    never paid is often what a customer writes in about)."""
    staff.require()
    _org(org_id)
    limit = max(1, min(limit, ledger.MAX_PAGE_SIZE))
    query = (
        sa.select(PaymentOrder, Payment)
        .join(Payment, col(Payment.order_id) == col(PaymentOrder.id), isouter=True)
        .where(col(PaymentOrder.org_id) == org_id)
        .order_by(col(PaymentOrder.id).desc())
        .limit(limit + 1)
    )
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_BIGINT:
            raise InvalidRequest("cursor is not one this API returned.", field="cursor")
        query = query.where(col(PaymentOrder.id) < int(cursor))
    with read_session() as session:
        found = session.execute(query).all()
    rows = [_order_row(order, payment) for order, payment in found[:limit]]
    more = len(found) > limit
    return OrdersPage(orders=rows, next_cursor=str(rows[-1].id) if more and rows else None)


def _order_row(order: PaymentOrder, payment: Payment | None) -> OrderRow:
    assert order.id is not None
    return OrderRow(
        id=order.id,
        receipt=order.receipt,
        razorpay_order_id=order.razorpay_order_id,
        status=order.status,
        amount_paise=order.amount_paise,
        currency=order.currency,
        credits_micros=order.credits_micros,
        promo_code=order.promo_code,
        created_at=order.created_at,
        paid_at=order.paid_at,
        payment_id=payment.razorpay_payment_id if payment else None,
        method=payment.method if payment else None,
        refunded_paise=payment.refunded_paise if payment else None,
    )


@dataclass(frozen=True)
class LivePayment:
    """What Razorpay says about a payment right now (asked on request, never cached)."""

    payment_id: str
    order_id: str | None
    status: str  # created, authorized, captured, refunded, failed
    amount_paise: int
    amount_refunded_paise: int
    currency: str
    method: str
    captured: bool
    error: str | None  # Razorpay's error description, for a failed payment


def live_payment(*, org_id: int, payment_id: str) -> LivePayment:
    """Ask Razorpay about one of the org's payments (blocking: call it off the event loop).
    The payment must be the org's: credited to it, or paid for one of its orders (a payment
    not credited is exactly what the operator is looking into). NotFound otherwise, without
    saying whether Razorpay knows it; PaymentGatewayError when Razorpay cannot answer."""
    staff.require()
    _org(org_id)
    payment_id = payment_id.strip()
    with read_session() as session:
        credited = session.execute(
            sa.select(col(Payment.id)).where(
                col(Payment.razorpay_payment_id) == payment_id, col(Payment.org_id) == org_id
            )
        ).first()
        orders = set(
            session.execute(
                sa.select(col(PaymentOrder.razorpay_order_id)).where(
                    col(PaymentOrder.org_id) == org_id, col(PaymentOrder.razorpay_order_id).is_not(None)
                )
            ).scalars()
        )
    if credited is None and not (payment_id.startswith("pay_") and orders):
        raise NotFound("No such payment for this organisation.")
    try:
        live = get_gateway().fetch_payment(payment_id)
    except PaymentGatewayError as exc:
        if exc.details.get("gateway_status") == "bad_request":  # Razorpay does not know it
            raise NotFound("No such payment for this organisation.") from exc
        raise
    if credited is None and live.get("order_id") not in orders:
        raise NotFound("No such payment for this organisation.")
    return LivePayment(
        payment_id=str(live.get("id", payment_id)),
        order_id=live.get("order_id"),
        status=str(live.get("status", "")),
        amount_paise=int(live.get("amount") or 0),
        amount_refunded_paise=int(live.get("amount_refunded") or 0),
        currency=str(live.get("currency", "")),
        method=str(live.get("method") or ""),
        captured=bool(live.get("captured")),
        error=live.get("error_description"),
    )
