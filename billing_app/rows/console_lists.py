"""The rows of the console's work lists: approvals waiting, payments needing attention,
promo codes and model prices."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app import routes
from billing_app.ist import display_ist
from billing_app.money import format_money, format_paise, plain_amount
from billing_app.rows.console import when
from billing_app.rows.history import signed_money
from billing_app.services.console.attention import FailedWebhook, UnpaidOrder
from billing_app.services.console.catalog import PriceRow, PromoRow
from billing_app.services.console.manual import ManualEntryView

PROBLEMS = {
    "signature": "Signature failed",
    "processing": "Processing failed",
    "unprocessed": "Not processed",
}


@dataclass(frozen=True)
class ApprovalLine:
    id: int
    org: str
    org_href: str
    amount: str  # signed: a credit "+", a debit "−"
    credit: bool
    reason: str
    requested_by: str
    requested: str


def approval_line(view: ManualEntryView) -> ApprovalLine:
    return ApprovalLine(
        id=view.id,
        org=view.org_name,
        org_href=routes.console_org_url(view.org_id),
        amount=signed_money(view.amount_micros, view.currency),
        credit=view.amount_micros > 0,
        reason=view.reason,
        requested_by=view.requested_by_email,
        requested=display_ist(view.created_at),
    )


@dataclass(frozen=True)
class UnpaidLine:
    order_id: str
    org: str
    org_href: str
    amount: str
    credits: str
    created: str
    last_checked: str


def unpaid_line(order: UnpaidOrder) -> UnpaidLine:
    return UnpaidLine(
        order_id=order.razorpay_order_id,
        org=order.org_name,
        org_href=routes.console_org_url(order.org_id),
        amount=format_paise(order.amount_paise),
        credits=format_money(order.credits_micros, order.currency),
        created=display_ist(order.created_at),
        last_checked=when(order.last_checked_at, "never"),
    )


@dataclass(frozen=True)
class WebhookLine:
    id: int
    event_id: str
    event_type: str
    problem: str
    error: str
    raw_body: str
    size: str
    received: str


def webhook_line(event: FailedWebhook) -> WebhookLine:
    return WebhookLine(
        id=event.id,
        event_id=event.event_id,
        event_type=event.event_type or "unknown",
        problem=PROBLEMS.get(event.problem, event.problem),
        error=event.error or "",
        raw_body=event.raw_body,
        size=f"{event.raw_body_bytes:,} bytes",
        received=display_ist(event.received_at),
    )


@dataclass(frozen=True)
class PromoLine:
    code: str
    summary: str
    rules: str  # minimum top-up, window, limit
    redemptions: str
    granted: str
    state: str
    active: bool
    inactive: bool  # drawn dimmed


def promo_line(row: PromoRow, currency: str) -> PromoLine:
    rules = []
    if row.min_topup_units:
        rules.append(f"min top-up {row.min_topup_units:,}")
    if row.starts_at:
        rules.append(f"from {display_ist(row.starts_at)}")
    if row.ends_at:
        rules.append(f"until {display_ist(row.ends_at)}")
    if row.max_redemptions is not None:
        rules.append(f"at most {row.max_redemptions:,} uses")
    return PromoLine(
        code=row.code,
        summary=row.summary,
        rules="; ".join(rules) or "no other rules",
        redemptions=f"{row.redemptions:,}",
        granted=format_money(row.bonus_granted_micros, currency),
        state=row.state,
        active=row.active,
        inactive=not row.active,
    )


@dataclass(frozen=True)
class PriceLine:
    model: str
    name: str
    provider: str
    input_rate: str  # per million tokens, as money
    output_rate: str
    input_plain: str  # as it goes back into the edit form's inputs
    output_plain: str
    source: str
    active: bool
    inactive: bool  # retired: drawn dimmed
    since: str


def price_line(row: PriceRow, currency: str) -> PriceLine:
    return PriceLine(
        model=row.model,
        name=row.display_name,
        provider=row.provider,
        input_rate=format_money(row.input_micros_per_million, currency),
        output_rate=format_money(row.output_micros_per_million, currency),
        input_plain=plain_amount(row.input_micros_per_million),
        output_plain=plain_amount(row.output_micros_per_million),
        source=row.source,
        active=row.active,
        inactive=not row.active,
        since=display_ist(row.effective_since),
    )
