"""The console's rows: what its pages show of the console services' dataclasses, as text
(Reflex sends numbers and dates to the browser poorly: states hold strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_app import routes
from billing_app.ist import display_ist, to_ist
from billing_app.money import format_money, format_paise
from billing_app.rows.counts import count
from billing_app.services.console import overview
from billing_app.services.console.orgs import KeyRow, OrderRow, OrgHit
from billing_app.services.console.overview import Figure, Overview
from billing_app.services.members import Member

MATCHED = {
    "name": "name",
    "email": "member's email",
    "org_id": "org id",
    "payment_id": "payment id",
    "order_id": "order id",
}


def when(moment: datetime | None, never: str = "—") -> str:
    return display_ist(moment) if moment is not None else never


@dataclass(frozen=True)
class FigureLine:
    key: str  # the figure's test id
    label: str
    value: str
    detail: str
    href: str  # the list behind it


def _oldest(figure: Figure) -> str:
    return f"oldest {display_ist(figure.oldest_at)}" if figure.oldest_at and figure.count else "none waiting"


def _of(n: int, noun: str) -> str:
    return f"{count(n)} {noun}" if n == 1 else f"{count(n)} {noun}s"


def _reconciler(o: Overview) -> FigureLine:
    ran = o.reconciler.last_run_at
    attention = f"{routes.CONSOLE_ATTENTION}#orders"
    if ran is None:
        return FigureLine("reconciler", "Reconciler's last run", "not yet", "no pass recorded", attention)
    holder = f" · {o.reconciler.holder}" if o.reconciler.holder else ""
    moment = to_ist(ran)
    return FigureLine(
        "reconciler", "Reconciler's last run", f"{moment:%I:%M %p} IST", f"{moment:%d %b %Y}{holder}", attention
    )


def figure_lines(o: Overview) -> list[FigureLine]:
    """The overview's figures in reading order: money first, then what needs a person. Each
    links to the list behind it: its own page (routes.console_list_url), or the attention
    page's unpaid orders and webhooks."""
    attention, today, days_30 = routes.CONSOLE_ATTENTION, overview.TODAY, overview.LAST_30_DAYS

    def rows(f: Figure, window: str | None = None) -> str:
        return routes.console_list_url(f.list_key, window)

    def paise(f: Figure) -> str:
        return format_paise(f.amount_paise or 0)

    def micros(f: Figure) -> str:
        return format_money(f.amount_micros or 0)

    return [
        FigureLine(
            "balances-owed",
            "Balances owed",
            micros(o.balances_owed),
            _of(o.balances_owed.count, "org"),
            rows(o.balances_owed),
        ),
        FigureLine(
            "topups-today",
            "Top-ups today",
            paise(o.topups_today),
            _of(o.topups_today.count, "payment"),
            rows(o.topups_today, today),
        ),
        FigureLine(
            "topups-30",
            "Top-ups, 30 days",
            paise(o.topups_30_days),
            _of(o.topups_30_days.count, "payment"),
            rows(o.topups_30_days, days_30),
        ),
        FigureLine(
            "refunds-today",
            "Refunds today",
            micros(o.refunds_today),
            _of(o.refunds_today.count, "refund"),
            rows(o.refunds_today, today),
        ),
        FigureLine(
            "refunds-30",
            "Refunds, 30 days",
            micros(o.refunds_30_days),
            _of(o.refunds_30_days.count, "refund"),
            rows(o.refunds_30_days, days_30),
        ),
        FigureLine(
            "active-orgs",
            "Active orgs",
            count(o.active_orgs.count),
            "used the API or topped up, 30 days",
            rows(o.active_orgs),
        ),
        FigureLine(
            "unpaid-orders",
            "Unpaid orders",
            count(o.unpaid_orders.count),
            _oldest(o.unpaid_orders),
            f"{attention}#orders",
        ),
        FigureLine(
            "webhooks-failed",
            "Webhooks failed",
            count(o.webhooks_failed.count),
            "signature or processing",
            f"{attention}#webhooks",
        ),
        FigureLine(
            "webhooks-unprocessed",
            "Webhooks unprocessed",
            count(o.webhooks_unprocessed.count),
            _oldest(o.webhooks_unprocessed),
            f"{attention}#webhooks",
        ),
        _reconciler(o),
        FigureLine(
            "outbox", "Email backlog", count(o.outbox_backlog.count), _oldest(o.outbox_backlog), rows(o.outbox_backlog)
        ),
    ]


@dataclass(frozen=True)
class OrgHitLine:
    id: int
    name: str
    owner: str
    balance: str
    created: str
    matched: str  # "payment id, name": why it is in the list
    href: str


def org_hit_line(hit: OrgHit) -> OrgHitLine:
    return OrgHitLine(
        id=hit.id,
        name=hit.name,
        owner=hit.owner_email or "no owner",
        balance=format_money(hit.balance_micros, hit.currency),
        created=display_ist(hit.created_at),
        matched=", ".join(MATCHED.get(m, m) for m in hit.matched),
        href=routes.console_org_url(hit.id),
    )


@dataclass(frozen=True)
class PersonLine:
    key: str
    name: str
    email: str
    role: str
    joined: str


def person_line(member: Member) -> PersonLine:
    return PersonLine(
        key=str(member.membership_id),
        name=member.name,
        email=member.email,
        role=member.role,
        joined=display_ist(member.joined_at),
    )


@dataclass(frozen=True)
class OrderLine:
    id: int
    receipt: str
    order_id: str
    status: str
    amount: str
    credits: str
    created: str
    payment_id: str  # "" before a payment is credited
    method: str
    refunded: str  # "" when nothing was refunded
    refundable: bool  # a credited payment with something left to refund
    remaining: str  # what is left to refund, in rupees as it goes into the input ("300" / "299.5")
    live: str = ""  # what Razorpay said when last asked on this page ("Check with Razorpay")


def order_line(row: OrderRow, currency: str) -> OrderLine:
    refunded = row.refunded_paise or 0
    remaining = row.amount_paise - refunded
    return OrderLine(
        id=row.id,
        receipt=row.receipt,
        order_id=row.razorpay_order_id or "—",
        status=row.status,
        amount=format_paise(row.amount_paise),
        credits=format_money(row.credits_micros, currency),
        created=display_ist(row.created_at),
        payment_id=row.payment_id or "",
        method=row.method or "",
        refunded=format_paise(refunded) if refunded else "",
        refundable=bool(row.payment_id) and remaining > 0,
        remaining=rupees_text(remaining),
    )


def rupees_text(paise: int) -> str:
    """30000 → "300", 29950 → "299.5": paise as a person types rupees."""
    whole, part = divmod(paise, 100)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")


@dataclass(frozen=True)
class KeyLine:
    id: int
    name: str
    prefix: str
    budget: str
    spend: str
    status: str
    last_used: str


def key_line(key: KeyRow, currency: str) -> KeyLine:
    budget = key.monthly_budget_micros
    return KeyLine(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        budget="none" if budget is None else format_money(budget, currency),
        spend=format_money(key.month_spend_micros, currency),
        status=key.status,
        last_used=when(key.last_used_at, "never"),
    )
