"""Payments needing attention: top-up orders still unpaid in our books after a while, and
webhook deliveries that failed their signature or their processing.

Nothing here decides on its own that money came in. "Check" asks Razorpay through the one
settle function (services/settlement.py), which credits only a payment Razorpay says is
captured for the order's exact amount; "process again" hands the stored delivery back to
the webhook worker's own `process`. Both paths credit each payment once however often, and
however concurrently, they run, so an operator pressing a button twice (or while the webhook
or the reconciler arrives) cannot credit twice. Each action writes an audit row with the
staff member and their reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import BillingAppError, InvalidRequest, NotFound
from billing_app.integrations.razorpay_gateway import webhook_signature_ok
from billing_app.models import OrderStatus, Org, PaymentOrder, WebhookEvent
from billing_app.models.types import utcnow
from billing_app.services import audit, staff, webhooks
from billing_app.services.console.reasons import required
from billing_app.services.settlement import settle_order

# An order unpaid this long, or a delivery unprocessed this long, needs a person: checkout
# and the webhook normally finish within a minute, and the reconciler retries before this.
ATTENTION_AFTER = timedelta(minutes=15)
MAX_LIST = 200


# ---------------------------------------------------------------- orders


@dataclass(frozen=True)
class UnpaidOrder:
    """An order with a Razorpay order id that our books still show unpaid."""

    razorpay_order_id: str
    org_id: int
    org_name: str
    amount_paise: int
    currency: str
    credits_micros: int
    promo_code: str | None
    created_at: datetime
    last_checked_at: datetime | None


def unpaid_orders(*, older_than: timedelta = ATTENTION_AFTER, limit: int = MAX_LIST) -> list[UnpaidOrder]:
    """Orders created at least `older_than` ago and still pending, newest first. Whether
    Razorpay has a payment for one is only known by asking (`check_order`)."""
    staff.require()
    cutoff = utcnow() - older_than
    query = (
        select(PaymentOrder, col(Org.name))
        .join(Org, col(Org.id) == PaymentOrder.org_id)
        .where(
            col(PaymentOrder.status) == OrderStatus.PENDING,
            col(PaymentOrder.razorpay_order_id).is_not(None),
            col(PaymentOrder.created_at) <= cutoff,
        )
        .order_by(col(PaymentOrder.created_at).desc())
        .limit(max(1, min(limit, MAX_LIST)))
    )
    with read_session() as session:
        rows = session.exec(query).all()
    return [
        UnpaidOrder(
            razorpay_order_id=order.razorpay_order_id or "",
            org_id=order.org_id,
            org_name=name,
            amount_paise=order.amount_paise,
            currency=order.currency,
            credits_micros=order.credits_micros,
            promo_code=order.promo_code,
            created_at=order.created_at,
            last_checked_at=order.last_checked_at,
        )
        for order, name in rows
    ]


@dataclass(frozen=True)
class OrderCheck:
    """What asking Razorpay found: `paid` (credited now, or before: `credited_now` says
    which), `pending` (no captured payment for the exact amount), or `gateway_error`
    (Razorpay did not answer; `error` says how)."""

    razorpay_order_id: str
    org_id: int
    status: str
    credited_now: bool = False
    payment_id: str | None = None
    balance_micros: int | None = None
    error: str | None = None


def check_order(*, razorpay_order_id: str, reason: str) -> OrderCheck:
    """Ask Razorpay about one order and settle it if it is captured (the settle function
    every other path uses). NotFound for an unknown order. The org's audit log records the
    check, its outcome and the reason; a credit also writes its own `payment.credited` row."""
    staff.require()
    reason = required(reason)
    with read_session() as session:
        org_id = session.exec(
            select(PaymentOrder.org_id).where(col(PaymentOrder.razorpay_order_id) == razorpay_order_id)
        ).first()
    if org_id is None:
        raise NotFound("No such order.")
    try:
        settled = settle_order(razorpay_order_id=razorpay_order_id)
        result = OrderCheck(
            razorpay_order_id=razorpay_order_id,
            org_id=org_id,
            status=settled.status,
            credited_now=settled.credited_now,
            payment_id=settled.payment_id,
            balance_micros=settled.balance_micros,
        )
    except BillingAppError as exc:
        if exc.code != "payment_gateway_error":
            raise
        result = OrderCheck(razorpay_order_id, org_id, status="gateway_error", error=exc.message)
    with write_session() as session:
        audit.record(
            session,
            org_id=org_id,
            action="order.checked",
            subject=f"order:{razorpay_order_id}",
            after={
                "reason": reason,
                "status": result.status,
                "credited_now": result.credited_now,
                "payment_id": result.payment_id,
            },
        )
    return result


@dataclass(frozen=True)
class OrdersChecked:
    results: list[OrderCheck]

    @property
    def credited(self) -> int:
        return sum(1 for result in self.results if result.credited_now)

    @property
    def pending(self) -> int:
        return sum(1 for result in self.results if result.status == "pending")

    @property
    def failed(self) -> int:
        return sum(1 for result in self.results if result.status == "gateway_error")


def check_all_orders(*, reason: str, older_than: timedelta = ATTENTION_AFTER) -> OrdersChecked:
    """`check_order` for every order `unpaid_orders` lists, one after another (one audit row
    each, in its org's log)."""
    staff.require()
    reason = required(reason)
    orders = unpaid_orders(older_than=older_than)
    return OrdersChecked([check_order(razorpay_order_id=o.razorpay_order_id, reason=reason) for o in orders])


# ---------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class FailedWebhook:
    """A stored delivery needing attention. `problem` is `signature` (it failed the check
    when it arrived), `processing` (processing ended with `error`) or `unprocessed` (not
    processed yet, long after it arrived; `error` may say why the last try stopped).
    `raw_body` is the stored bytes as text (undecodable bytes shown as U+FFFD)."""

    id: int
    event_id: str
    event_type: str
    problem: str
    error: str | None
    raw_body: str
    raw_body_bytes: int
    signature: str | None
    received_at: datetime
    processed_at: datetime | None


def _problem(row: WebhookEvent) -> str:
    if not row.signature_ok:
        return "signature"
    return "processing" if row.processed_at is not None else "unprocessed"


def failed_webhooks(
    *, older_than: timedelta = ATTENTION_AFTER, problem: str | None = None, limit: int = MAX_LIST
) -> list[FailedWebhook]:
    """Deliveries that failed their signature, ended in an error, or are still unprocessed
    `older_than` after arriving; newest first. `problem` keeps one kind only."""
    staff.require()
    cutoff = utcnow() - older_than
    conditions = {
        "signature": col(WebhookEvent.signature_ok).is_(False),
        "processing": col(WebhookEvent.signature_ok).is_(True)
        & col(WebhookEvent.processed_at).is_not(None)
        & col(WebhookEvent.error).is_not(None),
        "unprocessed": col(WebhookEvent.signature_ok).is_(True)
        & col(WebhookEvent.processed_at).is_(None)
        & (col(WebhookEvent.received_at) <= cutoff),
    }
    if problem is not None and problem not in conditions:
        raise InvalidRequest("problem must be signature, processing or unprocessed.", field="problem")
    wanted = [conditions[problem]] if problem else list(conditions.values())
    query = (
        select(WebhookEvent)
        .where(or_(*wanted))
        .order_by(col(WebhookEvent.id).desc())
        .limit(max(1, min(limit, MAX_LIST)))
    )
    with read_session() as session:
        rows = list(session.exec(query))
    return [_failed(row) for row in rows]


def _failed(row: WebhookEvent) -> FailedWebhook:
    assert row.id is not None
    return FailedWebhook(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        problem=_problem(row),
        error=row.error,
        raw_body=bytes(row.raw_body).decode("utf-8", errors="replace"),
        raw_body_bytes=len(row.raw_body),
        signature=row.signature,
        received_at=row.received_at,
        processed_at=row.processed_at,
    )


@dataclass(frozen=True)
class Reprocessed:
    """What processing a delivery again did: `processed` (done, no error), `failed`
    (processed, ending in `error`), `retry_later` (Razorpay did not answer; left for the
    reconciler), `busy` (another worker holds it right now and will finish it) or
    `signature_invalid` (its stored signature still does not match the webhook secret)."""

    id: int
    outcome: str
    error: str | None = None


def process_again(*, event_row_id: int, reason: str) -> Reprocessed:
    """Hand one stored delivery back to the webhook worker's `process`, whatever its state.

    A delivery that failed its signature is checked again against the current webhook
    secret (a secret set wrong when it arrived); it is processed only if it now matches.
    Settlement and refunds act once per payment and refund, so processing an event that
    already credited changes nothing. The reopening and its audit row share a transaction."""
    staff.require()
    reason = required(reason)
    with write_session() as session:
        row = session.get(WebhookEvent, event_row_id)
        if row is None:
            raise NotFound("No such webhook delivery.")
        before = {"processed_at": row.processed_at, "error": row.error, "signature_ok": row.signature_ok}
        now_ok = row.signature_ok or webhook_signature_ok(
            webhook_secret=get_settings().webhook_secret.get_secret_value(),
            raw_body=bytes(row.raw_body),
            signature=row.signature,
        )
        audit.record(
            session,
            org_id=None,
            action="webhook.reprocessed",
            subject=f"webhook_event:{event_row_id}",
            before=before,
            after={"reason": reason, "event_id": row.event_id, "signature_ok": now_ok},
        )
        if now_ok:
            session.execute(
                update(WebhookEvent)
                .where(col(WebhookEvent.id) == event_row_id)
                .values(signature_ok=True, processed_at=None)
            )
    if not now_ok:
        return Reprocessed(event_row_id, "signature_invalid", error=row.error)
    ran = webhooks.process(event_row_id=event_row_id)
    with read_session() as session:
        after = session.get(WebhookEvent, event_row_id)
    assert after is not None
    if after.processed_at is None:
        return Reprocessed(event_row_id, "retry_later" if ran else "busy", error=after.error)
    return Reprocessed(event_row_id, "failed" if after.error else "processed", error=after.error)


def process_all_again(*, reason: str, older_than: timedelta = ATTENTION_AFTER) -> list[Reprocessed]:
    """`process_again` for every delivery `failed_webhooks` lists (one audit row each)."""
    staff.require()
    reason = required(reason)
    return [process_again(event_row_id=event.id, reason=reason) for event in failed_webhooks(older_than=older_than)]
