"""The rows of the lists behind the overview's figures (services/console/lists.py), as text:
one line type per list, each naming its org and the org's console page."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app import routes
from billing_app.ist import display_ist
from billing_app.models import OutboxStatus
from billing_app.money import format_money, format_paise
from billing_app.rows.console import when
from billing_app.rows.counts import count
from billing_app.services.console import overview
from billing_app.services.console.lists import ActiveOrg, OrgInCredit, RefundRow, Row, Topup

# What each list is, as its page names it; windowed lists by window.
TITLES = {
    overview.ORGS_IN_CREDIT: "Balances owed",
    overview.TOPUPS: "Top-ups",
    overview.REFUNDS: "Refunds",
    overview.ACTIVE_ORGS: "Active orgs",
    overview.OUTBOX_BACKLOG: "Email backlog",
}
WINDOWS = {overview.TODAY: "today", overview.LAST_30_DAYS: "30 days"}
EXPLAINED = {
    overview.ORGS_IN_CREDIT: "Orgs with a balance above zero: the credits we owe. Newest org first.",
    overview.TOPUPS: "Credited payments, by when Razorpay captured them (IST). Newest first.",
    overview.REFUNDS: "Credits taken back when Razorpay processed a refund. Newest first.",
    overview.ACTIVE_ORGS: "Orgs that used the API or topped up in the last 30 IST days. Newest org first.",
    overview.OUTBOX_BACKLOG: "Emails not sent yet: waiting for their next attempt, or being sent. Newest first.",
}


def list_title(key: str, window: str | None) -> str:
    title = TITLES.get(key, "No such list")
    return f"{title}, {WINDOWS[window]}" if window in WINDOWS else title


@dataclass(frozen=True)
class OrgCreditLine:
    key: str
    org: str
    org_href: str
    owner: str
    balance: str


@dataclass(frozen=True)
class TopupLine:
    key: str
    payment_id: str
    org: str
    org_href: str
    amount: str
    method: str
    captured: str


@dataclass(frozen=True)
class RefundLine:
    key: str
    org: str
    org_href: str
    amount: str
    payment_id: str
    when: str


@dataclass(frozen=True)
class ActiveOrgLine:
    key: str
    org: str
    org_href: str
    last_usage: str
    last_topup: str


@dataclass(frozen=True)
class BacklogLine:
    key: str
    org: str
    org_href: str
    kind: str
    recipient: str
    attempts: str
    next_attempt: str
    last_error: str


Line = OrgCreditLine | TopupLine | RefundLine | ActiveOrgLine | BacklogLine


def list_line(row: Row) -> Line:
    """The line a list's page shows for one of its rows."""
    if isinstance(row, OrgInCredit):
        return OrgCreditLine(
            key=str(row.org_id),
            org=row.org_name,
            org_href=routes.console_org_url(row.org_id),
            owner=row.owner_email or "no owner",
            balance=format_money(row.balance_micros, row.currency),
        )
    if isinstance(row, Topup):
        return TopupLine(
            key=row.payment_id,
            payment_id=row.payment_id,
            org=row.org_name,
            org_href=routes.console_org_url(row.org_id),
            amount=format_paise(row.amount_paise),
            method=row.method or "—",
            captured=display_ist(row.captured_at),
        )
    if isinstance(row, RefundRow):
        return RefundLine(
            key=str(row.entry_id),
            org=row.org_name,
            org_href=routes.console_org_url(row.org_id),
            amount=format_money(row.amount_micros, row.currency),
            payment_id=row.payment_id or "—",
            when=display_ist(row.created_at),
        )
    if isinstance(row, ActiveOrg):
        return ActiveOrgLine(
            key=str(row.org_id),
            org=row.org_name,
            org_href=routes.console_org_url(row.org_id),
            last_usage=f"{row.last_usage_day:%d %b %Y}" if row.last_usage_day else "never",
            last_topup=when(row.last_topup_at, "never"),
        )
    return BacklogLine(
        key=str(row.id),
        org=row.org_name,
        org_href=routes.console_org_url(row.org_id),
        kind=row.kind.replace("_", " "),
        recipient=row.recipient or "no owner to send it to",
        attempts=count(row.attempts),
        next_attempt="being sent" if row.status == OutboxStatus.SENDING else display_ist(row.next_attempt_at),
        last_error=row.last_error or "",
    )
