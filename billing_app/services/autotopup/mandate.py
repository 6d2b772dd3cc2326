"""The org's Razorpay mandate (Recurring Payments): authorising it once, in Checkout, with the
person present; following the bank's word on it through the `token.*` webhooks; cancelling it.

A mandate is one row (models/autotopup.py) from `start` to a final status. Its token is bound
to the row by the authorisation order's payment, which names it; every status change is read
back from Razorpay (the webhook only says "look again"), applied with a conditional UPDATE
(so a duplicate or late delivery changes nothing twice) and audited. A mandate that stops
(rejected, cancelled, paused) turns auto top-up off and queues the owner's email.

Webhooks may be lost, so the auto top-up job (and the page's "Check again") also asks Razorpay
itself (`follow_unheard`, `check`), through the same path a webhook takes.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, InvalidRequest, NotFound, PaymentGatewayError
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.models import AutoTopupMandate, MandateStatus
from billing_app.models.autotopup import LIVE_MANDATE_STATUSES
from billing_app.models.types import utcnow
from billing_app.money import format_paise, topup_paise
from billing_app.services import audit, roles
from billing_app.services.accounts import Principal
from billing_app.services.autotopup.rule import CEILING_PAISE, Method
from billing_app.services.autotopup.switch import queue_notice_in, switch_off_in
from billing_app.services.roles import Permission
from billing_app.services.topup_rules import topup_rules

log = logging.getLogger(__name__)

# The authorisation payment: the smallest amount Razorpay takes for a card or UPI mandate. It
# authorises; it is not a top-up: it is refunded, never credited (docs/autotopup.md).
AUTHORISATION_PAISE = 100
# Each debit is at most the ceiling (rule.py): above it the bank asks the customer every time.
MAX_AMOUNT_PAISE = CEILING_PAISE
LIFETIME = timedelta(days=3650)
# Asking Razorpay when its webhooks may have been lost (docs/autotopup.md, "Lost webhooks"): a
# pending mandate every few minutes at first, less often as it ages, and not once it is old; a
# confirmed or paused one's token once a day.
FOLLOW_PENDING_EVERY = timedelta(minutes=5)
FOLLOW_PENDING_BACKOFF = 10  # and at least a tenth of its age apart
FOLLOW_PENDING_FOR = timedelta(days=7)
FOLLOW_TOKEN_EVERY = timedelta(days=1)

# Razorpay's token status → ours. "initiated" is a token whose authorisation is under way.
_STATUSES = {
    "initiated": MandateStatus.PENDING,
    "confirmed": MandateStatus.CONFIRMED,
    "rejected": MandateStatus.REJECTED,
    "cancelled": MandateStatus.CANCELLED,
    "paused": MandateStatus.PAUSED,
}
# Which status may follow which: rejected and cancelled are final; a pause may be lifted.
_FROM: dict[MandateStatus, tuple[MandateStatus, ...]] = {
    MandateStatus.CONFIRMED: (MandateStatus.PENDING, MandateStatus.PAUSED),
    MandateStatus.REJECTED: (MandateStatus.PENDING,),
    MandateStatus.PAUSED: (MandateStatus.CONFIRMED,),
    MandateStatus.CANCELLED: (MandateStatus.PENDING, MandateStatus.CONFIRMED, MandateStatus.PAUSED),
}
_STOPPED = {
    MandateStatus.REJECTED: "your bank or UPI app declined the mandate",
    MandateStatus.CANCELLED: "the mandate was cancelled at your bank or UPI app",
    MandateStatus.PAUSED: "the mandate was paused in your UPI app",
}


@dataclass(frozen=True)
class MandateCheckout:
    """What the page hands checkout.js to authorise the mandate (`recurring: 1`)."""

    mandate: AutoTopupMandate
    checkout: dict[str, Any]


def live_mandate(session: Session, org_id: int) -> AutoTopupMandate | None:
    """The org's pending, confirmed or paused mandate (at most one: a partial unique index)."""
    return session.exec(
        select(AutoTopupMandate).where(
            col(AutoTopupMandate.org_id) == org_id, col(AutoTopupMandate.status).in_(LIVE_MANDATE_STATUSES)
        )
    ).first()


def latest_mandate(session: Session, org_id: int) -> AutoTopupMandate | None:
    """The live mandate, else the last one that stopped (the page says why it stopped)."""
    return (
        live_mandate(session, org_id)
        or session.exec(
            select(AutoTopupMandate)
            .where(col(AutoTopupMandate.org_id) == org_id)
            .order_by(col(AutoTopupMandate.id).desc())
            .limit(1)
        ).first()
    )


def _customer_id(principal: Principal) -> str:
    """The org's Razorpay customer: the one an earlier mandate used, else a new one."""
    with read_session() as session:
        known = session.exec(
            select(AutoTopupMandate.razorpay_customer_id)
            .where(col(AutoTopupMandate.org_id) == principal.org_id)
            .order_by(col(AutoTopupMandate.id).desc())
            .limit(1)
        ).first()
    if known:
        return known
    customer = get_gateway().create_customer(
        name=principal.org_name[:50], email=principal.email, notes={"org_id": str(principal.org_id)}
    )
    return str(customer["id"])


def _make_room(session: Session, org_id: int) -> None:
    """A live mandate stands in the way of a new one, except a pending one nobody has paid:
    that one is abandoned (the person closed checkout and starts again)."""
    current = live_mandate(session, org_id)
    if current is None:
        return
    if current.status != MandateStatus.PENDING:
        raise Conflict("Your organisation already has a mandate. Cancel it before authorising another.")
    if current.token_id is not None:
        raise Conflict("Your bank is still confirming the mandate you authorised. Try again in a few minutes.")
    _move(session, current, MandateStatus.CANCELLED, reason="replaced by a new authorisation")


def mandate_maximum_paise(max_amount: int | None) -> int:
    """The most one debit may take, from whole rupees (None: the ceiling). At least the smallest
    top-up (else no rule could use it), at most the ceiling. Raises InvalidRequest."""
    if max_amount is None:
        return MAX_AMOUNT_PAISE
    limits = topup_rules()
    lowest = topup_paise(limits.min_units, limits.currency, limits.usd_inr_rate_paise)
    if (
        isinstance(max_amount, bool)
        or not isinstance(max_amount, int)
        or not lowest <= max_amount * 100 <= MAX_AMOUNT_PAISE
    ):
        raise InvalidRequest(
            f"The mandate's maximum must be a whole amount from {format_paise(lowest)} "
            f"to {format_paise(MAX_AMOUNT_PAISE)}.",
            field="max_amount",
        )
    return max_amount * 100


def start(*, principal: Principal, method: str, max_amount: int | None = None) -> MandateCheckout:
    """Begin authorising a mandate: the org's Razorpay customer (made once), our pending row, and
    an authorisation order carrying `token {max_amount, expire_at, frequency}`. `max_amount`:
    whole rupees, the most one debit may take (default and at most the ceiling). Returns the
    checkout options. Raises InvalidRequest (method, max_amount), Conflict (a mandate exists),
    PaymentGatewayError."""
    roles.check(principal.org_id, Permission.PAY)
    try:
        chosen = Method(method)
    except ValueError:
        raise InvalidRequest("The mandate method must be upi or card.", field="method") from None
    maximum = mandate_maximum_paise(max_amount)
    customer_id = _customer_id(principal)
    expire_at = (utcnow() + LIFETIME).replace(microsecond=0)
    try:
        with write_session() as session:
            _make_room(session, principal.org_id)
            mandate = AutoTopupMandate(
                org_id=principal.org_id,
                razorpay_customer_id=customer_id,
                method=chosen,
                max_amount_paise=maximum,
                expire_at=expire_at,
                created_by_user_id=principal.user_id,
            )
            session.add(mandate)
            session.flush()
            audit.record(
                session,
                org_id=principal.org_id,
                action="autotopup.mandate.started",
                subject=f"mandate:{mandate.id}",
                after={"method": chosen.value, "max_amount_paise": maximum, "customer_id": customer_id},
            )
    except IntegrityError:  # another request started one at the same moment
        raise Conflict("A mandate is already being authorised for your organisation.") from None
    order = get_gateway().create_authorisation_order(
        amount_paise=AUTHORISATION_PAISE,
        customer_id=customer_id,
        method=chosen.value,
        max_amount_paise=maximum,
        expire_at=int(expire_at.timestamp()),
        receipt=f"mandate_{secrets.token_hex(10)}",
        notes={"org_id": str(principal.org_id), "mandate_ref": str(mandate.id)},
    )
    with write_session() as session:
        session.execute(
            update(AutoTopupMandate)
            .where(col(AutoTopupMandate.id) == mandate.id)
            .values(authorisation_order_id=order["id"], updated_at=utcnow())
        )
    mandate.authorisation_order_id = order["id"]
    settings = get_settings()
    checkout = {
        "key": settings.key_id,
        "order_id": order["id"],
        "customer_id": customer_id,
        "recurring": 1,
        "amount": AUTHORISATION_PAISE,
        "currency": "INR",
        "name": settings.seller_name,
        "description": "Authorise auto top-up",
        "prefill": {"name": principal.name, "email": principal.email},
        "notes": {"org_id": str(principal.org_id)},
        "theme": {"color": "#3E63DD"},
    }
    return MandateCheckout(mandate=mandate, checkout=checkout)


def cancel(*, principal: Principal) -> AutoTopupMandate:
    """Cancel the org's mandate at Razorpay (its token), then here; auto top-up goes off with it.
    A pending mandate nobody paid is just abandoned. Raises NotFound (no live mandate),
    PaymentGatewayError (nothing changed here: try again)."""
    roles.check(principal.org_id, Permission.PAY)
    with read_session() as session:
        current = live_mandate(session, principal.org_id)
    if current is None:
        raise NotFound("Your organisation has no mandate to cancel.")
    if current.token_id is not None:
        _cancel_at_razorpay(current.razorpay_customer_id, current.token_id)
    with write_session() as session:
        row = session.get(AutoTopupMandate, current.id)
        assert row is not None
        if _move(session, row, MandateStatus.CANCELLED, reason="cancelled by you"):
            switch_off_in(session, org_id=principal.org_id, reason="You cancelled the mandate.")
        session.flush()
        session.refresh(row)
    return row


def _cancel_at_razorpay(customer_id: str, token_id: str) -> None:
    """Cancel the token; one that Razorpay refuses to cancel because it has stopped already
    (its webhook is on the way) counts as cancelled."""
    gateway = get_gateway()
    try:
        gateway.cancel_token(customer_id=customer_id, token_id=token_id)
    except PaymentGatewayError as exc:
        if exc.details.get("gateway_status") != "bad_request":
            raise
        token = gateway.fetch_token(customer_id=customer_id, token_id=token_id)
        if (token.get("recurring_details") or {}).get("status") not in ("cancelled", "rejected"):
            raise


def _move(session: Session, row: AutoTopupMandate, status: MandateStatus, *, reason: str | None = None) -> bool:
    """One transition, once: a conditional UPDATE from the statuses `status` may follow, and its
    audit row. False when the row had already moved (a duplicate or late event)."""
    before = row.status
    done = session.execute(
        update(AutoTopupMandate)
        .where(col(AutoTopupMandate.id) == row.id, col(AutoTopupMandate.status).in_(_FROM[status]))
        .values(status=status, failure_reason=reason, updated_at=utcnow())
        .returning(col(AutoTopupMandate.id))
    ).first()
    if done is None:
        return False
    audit.record(
        session,
        org_id=row.org_id,
        action=f"autotopup.mandate.{status.value}",
        subject=f"mandate:{row.id}",
        before={"status": before},
        after={"status": status.value, "reason": reason, "token_id": row.token_id},
    )
    return True


# --- webhooks (services/webhooks.py dispatches here; they act as the system) -------------


def owns_order(razorpay_order_id: str) -> bool:
    """Whether the order is one of our authorisation orders (not a top-up to settle)."""
    with read_session() as session:
        return (
            session.exec(
                select(AutoTopupMandate.id).where(col(AutoTopupMandate.authorisation_order_id) == razorpay_order_id)
            ).first()
            is not None
        )


def _bind(row: AutoTopupMandate) -> str | None:
    """The token the authorisation order's payment created, per Razorpay, written on the row
    (once: a token id is unique and never replaced)."""
    if row.token_id is not None or row.authorisation_order_id is None:
        return row.token_id
    payments = get_gateway().order_payments(row.authorisation_order_id)
    token_id = next((str(p["token_id"]) for p in payments if p.get("token_id")), None)
    if token_id is None:
        return None
    with write_session() as session:
        session.execute(
            update(AutoTopupMandate)
            .where(col(AutoTopupMandate.id) == row.id, col(AutoTopupMandate.token_id).is_(None))
            .values(token_id=token_id, updated_at=utcnow())
        )
    row.token_id = token_id
    return token_id


def authorisation_reported(*, razorpay_order_id: str) -> None:
    """A payment event on an authorisation order: bind the token it created, then refund the
    authorisation payment. The money is the mandate's authorisation, never a top-up: nothing is
    credited, and it goes back to the customer (docs/autotopup.md, "The authorisation payment")."""
    with read_session() as session:
        row = session.exec(
            select(AutoTopupMandate).where(col(AutoTopupMandate.authorisation_order_id) == razorpay_order_id)
        ).first()
    if row is None:
        return
    if _bind(row) is not None:
        _follow(row)
    refund_authorisation(razorpay_order_id)


def refund_authorisation(razorpay_order_id: str) -> int:
    """Refund what was captured on an authorisation order, whatever became of the mandate. Once:
    a payment already refunded is left alone, and Razorpay makes one refund per idempotency key
    (the payment's id), so two events at once make one refund; a payment Razorpay refuses to
    refund because it is refunded already counts as done. Its `refund.processed` debits nothing
    (services/webhooks.py). Returns the paise refunded now. Raises PaymentGatewayError."""
    gateway = get_gateway()
    refunded = 0
    for payment in gateway.order_payments(razorpay_order_id):
        left = int(payment.get("amount") or 0) - int(payment.get("amount_refunded") or 0)
        if payment.get("status") != "captured" or left <= 0:
            continue
        try:
            gateway.refund(
                payment_id=str(payment["id"]),
                amount_paise=left,
                idempotency_key=f"mandate-auth-{payment['id']}",
                notes={"reason": "mandate_authorisation"},
            )
        except PaymentGatewayError as exc:
            if exc.details.get("gateway_status") != "bad_request":
                raise
            log.info("authorisation payment %s not refunded: %s", payment["id"], exc.message)
            continue
        refunded += left
    return refunded


def _find_for_token(token_id: str, customer_id: str) -> AutoTopupMandate | None:
    """The row a token belongs to: bound already, or a pending one of the same customer whose
    authorisation payment names it (its token.confirmed overtook the payment's events)."""
    with read_session() as session:
        row = session.exec(select(AutoTopupMandate).where(col(AutoTopupMandate.token_id) == token_id)).first()
        if row is not None:
            return row
        unbound = list(
            session.exec(
                select(AutoTopupMandate).where(
                    col(AutoTopupMandate.razorpay_customer_id) == customer_id,
                    col(AutoTopupMandate.token_id).is_(None),
                    col(AutoTopupMandate.status) == MandateStatus.PENDING,
                )
            )
        )
    return next((each for each in unbound if _bind(each) == token_id), None)


def token_reported(*, event: str, token: dict[str, Any]) -> None:
    """A `token.*` webhook: find our mandate and bring it to what Razorpay says now."""
    token_id, customer_id = str(token.get("id") or ""), str(token.get("customer_id") or "")
    if not token_id:
        raise ValueError("no token id in the payload")
    row = _find_for_token(token_id, customer_id)
    if row is None:
        log.info("%s for token %s: not one of our mandates", event, token_id)
        return
    _follow(row, deleted_means_cancelled=event == "token.cancelled")


def _instrument(token: dict[str, Any]) -> str:
    if vpa := token.get("vpa"):
        return f"{vpa.get('username', '')}@{vpa.get('handle', '')}" if isinstance(vpa, dict) else str(vpa)
    card = token.get("card") or {}
    return f"{card.get('network') or 'Card'} •••• {card.get('last4', '')}".strip()


def _follow(row: AutoTopupMandate, *, deleted_means_cancelled: bool = False) -> None:
    """Ask Razorpay for the token and apply its status to our row."""
    assert row.token_id is not None
    try:
        token = get_gateway().fetch_token(customer_id=row.razorpay_customer_id, token_id=row.token_id)
    except PaymentGatewayError as exc:
        if not (deleted_means_cancelled and exc.details.get("gateway_status") == "bad_request"):
            raise
        token = {"recurring_details": {"status": "cancelled", "failure_reason": "deleted"}}
    details = token.get("recurring_details") or {}
    status = _STATUSES.get(str(details.get("status")))
    if status is None or status == MandateStatus.PENDING:
        return
    reason = details.get("failure_reason")
    with write_session() as session:
        if not _move(session, row, status, reason=str(reason)[:200] if reason else None):
            return
        if status == MandateStatus.CONFIRMED:
            session.execute(
                update(AutoTopupMandate)
                .where(col(AutoTopupMandate.id) == row.id)
                .values(
                    instrument=_instrument(token)[:120],
                    max_amount_paise=int(token.get("max_amount") or row.max_amount_paise),
                    expire_at=datetime.fromtimestamp(int(token["expired_at"]), UTC)
                    if token.get("expired_at")
                    else row.expire_at,
                )
            )
            return
        why = _STOPPED[status]
        was_on = switch_off_in(session, org_id=row.org_id, reason=f"Auto top-up was turned off: {why}.")
        queue_notice_in(session, org_id=row.org_id, reason=why, was_on=was_on)


# --- when webhooks are lost (the auto top-up job; the page's "Check again") --------------


def _due(row: AutoTopupMandate, now: datetime) -> bool:
    """Whether the row's turn to be asked about has come (`updated_at`: its last change or look)."""
    since = now - row.updated_at
    if row.status != MandateStatus.PENDING:
        return since >= FOLLOW_TOKEN_EVERY
    age = now - row.created_at
    return age <= FOLLOW_PENDING_FOR and since >= max(FOLLOW_PENDING_EVERY, age / FOLLOW_PENDING_BACKOFF)


def _claim(row: AutoTopupMandate, now: datetime) -> bool:
    """Take the row for one look at Razorpay: a compare-and-set of `updated_at`, so of two
    passes at once only one asks (what follows is once anyway: conditional UPDATEs)."""
    with write_session() as session:
        return (
            session.execute(
                update(AutoTopupMandate)
                .where(
                    col(AutoTopupMandate.id) == row.id,
                    col(AutoTopupMandate.status) == row.status,
                    col(AutoTopupMandate.updated_at) == row.updated_at,
                )
                .values(updated_at=now)
                .returning(col(AutoTopupMandate.id))
            ).first()
            is not None
        )


def _look(row: AutoTopupMandate) -> None:
    """What a webhook would have made us do: a pending mandate as its authorisation payment's
    event (bind, follow, refund the authorisation), a bound one as its token's event."""
    if row.status == MandateStatus.PENDING:
        assert row.authorisation_order_id is not None
        authorisation_reported(razorpay_order_id=row.authorisation_order_id)
    else:
        _follow(row)


def follow_unheard(*, now: datetime) -> int:
    """Ask Razorpay about mandates whose webhooks may have been lost: pending ones with an
    authorisation order, while young enough; confirmed and paused ones' tokens now and then.
    Acts as the system. A gateway failure leaves the row for its next turn. Returns how many
    were asked about."""
    with read_session() as session:
        rows = list(
            session.exec(
                select(AutoTopupMandate).where(
                    or_(
                        and_(
                            col(AutoTopupMandate.status) == MandateStatus.PENDING,
                            col(AutoTopupMandate.authorisation_order_id).is_not(None),
                            col(AutoTopupMandate.created_at) >= now - FOLLOW_PENDING_FOR,
                        ),
                        and_(
                            col(AutoTopupMandate.status).in_((MandateStatus.CONFIRMED, MandateStatus.PAUSED)),
                            col(AutoTopupMandate.token_id).is_not(None),
                        ),
                    )
                )
            )
        )
    asked = 0
    for row in rows:
        if not _due(row, now) or not _claim(row, now):
            continue
        try:
            _look(row)
        except PaymentGatewayError as exc:
            log.warning("mandate %s: Razorpay not reached (%s); next turn", row.id, exc.message)
            continue
        asked += 1
    return asked


def check(*, principal: Principal) -> None:
    """The page's "Check again" (and its wait after checkout): ask Razorpay now about the org's
    pending mandate, as its webhooks would have; two clicks at once ask once. Raises
    PaymentGatewayError."""
    roles.check(principal.org_id, Permission.PAY)
    with read_session() as session:
        row = live_mandate(session, principal.org_id)
    if row is None or row.status != MandateStatus.PENDING or row.authorisation_order_id is None:
        return
    if _claim(row, max(utcnow(), row.updated_at)):
        _look(row)
