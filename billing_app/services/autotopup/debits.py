"""The debit job's work: notify, charge, follow the outcome, retry, give up; and the person's
skip. docs/autotopup.md, "Each charge, exactly once", says why it is built this way.

- `evaluate` takes the decision (decide.py) over the org's real balance and spend. A notice
  is one transaction: the debit row, the PaymentOrder the settle path will credit, and the
  pre-debit emails. The partial unique index (one pending debit per org) makes any other
  trigger at the same moment insert nothing. Razorpay's debit order (which is Razorpay's own
  pre-debit notification) is created after the commit; a tick that finds a debit without
  one creates it then.
- `charge_due` claims each due debit with one conditional UPDATE (notified → charging) before
  asking Razorpay to charge the mandate, so two ticks never charge one debit.
- The money is credited only by the existing settle path (webhook or reconciler, and `follow`
  here, all through `settle_order`), which credits an order once. `follow` marks the debit
  captured once its order is paid, or, when Razorpay says the payment failed, schedules the
  next attempt (RETRY_BACKOFF) or gives up and turns auto top-up off.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, NotFound, PaymentGatewayError
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.ist import display_ist, ist_next_month_start
from billing_app.models import (
    AutoTopupDebit,
    AutoTopupMandate,
    AutoTopupRule,
    DebitStatus,
    EmailKind,
    EmailOutbox,
    MandateStatus,
    Membership,
    OrderStatus,
    Org,
    Payment,
    PaymentOrder,
    User,
)
from billing_app.models.autotopup import PENDING_DEBIT_STATUSES
from billing_app.models.types import utcnow
from billing_app.money import format_rupees
from billing_app.services import audit, roles
from billing_app.services.autotopup.decide import Action, Decision, charge_month_start, decide
from billing_app.services.autotopup.settings import rule_of, spend_history
from billing_app.services.autotopup.switch import queue_notice_in, switch_off_in
from billing_app.services.gst_pricing import price_in
from billing_app.services.roles import Permission, Role
from billing_app.services.settlement import settle_order
from billing_app.services.topups import AUTOTOPUP_RECEIPT_PREFIX

log = logging.getLogger(__name__)

# Razorpay does not retry a decoupled debit: we do, after these pauses, then give up.
RETRY_BACKOFF = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=12))
MAX_ATTEMPTS = 3
# Razorpay charges a decoupled debit no sooner than this after its order (its own notice).
RAZORPAY_NOTICE = timedelta(hours=24, minutes=5)
# Razorpay's debit needs a phone number; the mandate's authorisation payment gives the real one.
FALLBACK_CONTACT = "9999999999"
# What a debit counts toward the monthly cap: everything but what never charged.
_COUNTED = (DebitStatus.NOTIFIED, DebitStatus.CHARGING, DebitStatus.CAPTURED, DebitStatus.REVERSED)


def receipt_for(debit_id: int) -> str:
    """The debit's PaymentOrder receipt: how the settle path and the books know it is one."""
    return f"{AUTOTOPUP_RECEIPT_PREFIX}{debit_id}"


def _confirmed_mandate(session: Session, org_id: int) -> AutoTopupMandate | None:
    return session.exec(
        select(AutoTopupMandate).where(
            col(AutoTopupMandate.org_id) == org_id,
            col(AutoTopupMandate.status) == MandateStatus.CONFIRMED,
            col(AutoTopupMandate.token_id).is_not(None),
        )
    ).first()


def _month_spent(session: Session, org_id: int, month_start: datetime) -> int:
    """Credits (micros) of the debits counted against the IST month starting `month_start`."""
    total = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(col(AutoTopupDebit.credits_micros)), 0)).where(
            col(AutoTopupDebit.org_id) == org_id,
            col(AutoTopupDebit.status).in_(_COUNTED),
            col(AutoTopupDebit.charge_after) >= month_start,
            col(AutoTopupDebit.charge_after) < ist_next_month_start(month_start),
        )
    ).scalar_one()
    return int(total)


def _last_debit_at(session: Session, org_id: int) -> datetime | None:
    """When the last debit settled one way or the other (the cooldown counts from it). A skipped
    debit counts as landing when it would have: skipping one does not bring the next sooner."""
    last = session.exec(
        select(AutoTopupDebit)
        .where(
            col(AutoTopupDebit.org_id) == org_id,
            col(AutoTopupDebit.status).not_in(PENDING_DEBIT_STATUSES),
        )
        .order_by(col(AutoTopupDebit.id).desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    return max(last.updated_at, last.charge_after) if last.status == DebitStatus.SKIPPED else last.updated_at


def _recipients(session: Session, org_id: int) -> list[tuple[str, str]]:
    """The owners and billing members: whoever pays gets the pre-debit notice."""
    rows = session.execute(
        sa.select(col(User.email), col(User.name))
        .join(Membership, col(Membership.user_id) == User.id)
        .where(col(Membership.org_id) == org_id, col(Membership.role).in_((Role.OWNER, Role.BILLING)))
        .order_by(col(Membership.id))
    ).all()
    return [(email, name) for email, name in rows]


@dataclass(frozen=True)
class Evaluation:
    decision: Decision | None  # None: auto top-up is off, or there is no confirmed mandate
    debit: AutoTopupDebit | None = None  # the debit notified now, if this call made one


def evaluate(*, org_id: int, now: datetime) -> Evaluation:
    """The job's look at one org at `now`: notify a debit when the rule says so. Safe to call
    concurrently any number of times: at most one pending debit is ever created."""
    with read_session() as session:
        row = session.get(AutoTopupRule, org_id)
        mandate = _confirmed_mandate(session, org_id)
        org = session.get(Org, org_id)
        if row is None or not row.enabled or mandate is None or org is None:
            return Evaluation(None)
        rule = rule_of(row, mandate_max_paise=mandate.max_amount_paise)
        pending = session.exec(
            select(AutoTopupDebit.id).where(
                col(AutoTopupDebit.org_id) == org_id, col(AutoTopupDebit.status).in_(PENDING_DEBIT_STATUSES)
            )
        ).first()
        decision = decide(
            now,
            org.balance_micros,
            spend_history(session, org_id, now),
            rule,
            month_spent=_month_spent(session, org_id, charge_month_start(now, rule)),
            pending_debit=pending is not None,
            last_debit_at=_last_debit_at(session, org_id),
        )
    if decision.action != Action.NOTIFY:
        return Evaluation(decision)
    assert decision.charge_at is not None and mandate.id is not None
    try:
        with write_session() as session:
            # The rule's amount is the credit; the debit is its price plus GST when the seller is
            # registered (never above rule.amount_paise, which make_rule held to the limits).
            gst = price_in(session, org_id=org_id, taxable_paise=rule.price_paise)
            charge = gst.total_paise if gst else rule.price_paise
            assert charge <= rule.amount_paise
            debit = AutoTopupDebit(
                org_id=org_id,
                mandate_id=mandate.id,
                amount_units=row.amount_units,
                amount_paise=charge,
                credits_micros=rule.amount_micros,
                notified_at=now,
                charge_after=decision.charge_at,
                created_at=now,
                updated_at=now,
            )
            session.add(debit)
            session.flush()  # the partial unique index speaks here
            assert debit.id is not None
            session.add(
                PaymentOrder(
                    org_id=org_id,
                    receipt=receipt_for(debit.id),
                    amount_units=row.amount_units,
                    amount_paise=charge,
                    currency="INR",
                    credits_micros=rule.amount_micros,
                    gst_taxable_paise=gst.taxable_paise if gst else None,
                    gst_tax_paise=gst.tax_paise if gst else None,
                    gst_rate_percent=gst.tax.rate_percent if gst else None,
                    gst_place_of_supply=gst.place_of_supply if gst else None,
                    created_by_user_id=row.enabled_by_user_id,
                )
            )
            facts = {
                "debit_id": debit.id,
                "amount": format_rupees(charge),
                "price_sentence": gst.sentence if gst else "",
                "charge_after": display_ist(decision.charge_at),
                "reference": receipt_for(debit.id),
                "instrument": mandate.instrument,
                "late": decision.late,
            }
            for email, name in _recipients(session, org_id):
                payload = facts | {"to_email": email, "to_name": name}
                session.add(EmailOutbox(org_id=org_id, kind=EmailKind.AUTOTOPUP_NOTICE, payload=json.dumps(payload)))
            audit.record(
                session,
                org_id=org_id,
                action="autotopup.debit.notified",
                subject=f"autotopup_debit:{debit.id}",
                after={"amount_paise": charge, "charge_after": decision.charge_at.isoformat()},
            )
    except IntegrityError:  # another trigger notified one at the same moment
        return Evaluation(decision)
    place_order(debit, mandate)
    return Evaluation(decision, debit)


def place_order(debit: AutoTopupDebit, mandate: AutoTopupMandate) -> str | None:
    """Razorpay's debit order for a notified debit, with `notification {token_id, payment_after}`;
    its id written on the debit and on our PaymentOrder. None when Razorpay failed (the next tick
    tries again)."""
    assert debit.id is not None and mandate.token_id is not None
    try:
        order = get_gateway().create_debit_order(
            amount_paise=debit.amount_paise,
            token_id=mandate.token_id,
            payment_after=int(debit.charge_after.timestamp()),
            receipt=receipt_for(debit.id),
            notes={"org_id": str(debit.org_id), "autotopup_debit": str(debit.id)},
        )
    except PaymentGatewayError as exc:
        log.warning("auto top-up debit %d: the order failed (%s); next tick", debit.id, exc.message)
        return None
    with write_session() as session:
        session.execute(
            update(AutoTopupDebit)
            .where(col(AutoTopupDebit.id) == debit.id, col(AutoTopupDebit.razorpay_order_id).is_(None))
            .values(razorpay_order_id=order["id"])
        )
        session.execute(
            update(PaymentOrder)
            .where(col(PaymentOrder.receipt) == receipt_for(debit.id), col(PaymentOrder.status) == OrderStatus.CREATED)
            .values(razorpay_order_id=order["id"], status=OrderStatus.PENDING)
        )
    debit.razorpay_order_id = order["id"]
    return str(order["id"])


def place_missing_orders(*, now: datetime) -> int:
    """Create the Razorpay order of each notified debit that has none yet (Razorpay failed).
    Razorpay's own notice goes out only now, so the debit moves to at least RAZORPAY_NOTICE
    from now: our email said "on or after", never earlier."""
    with read_session() as session:
        rows = session.exec(
            select(AutoTopupDebit, AutoTopupMandate)
            .join(AutoTopupMandate, col(AutoTopupMandate.id) == AutoTopupDebit.mandate_id)
            .where(col(AutoTopupDebit.status) == DebitStatus.NOTIFIED, col(AutoTopupDebit.razorpay_order_id).is_(None))
        ).all()
    placed = 0
    for debit, mandate in rows:
        earliest = now + RAZORPAY_NOTICE
        if debit.charge_after < earliest:
            with write_session() as session:
                session.execute(
                    update(AutoTopupDebit)
                    .where(col(AutoTopupDebit.id) == debit.id, col(AutoTopupDebit.razorpay_order_id).is_(None))
                    .values(charge_after=earliest, updated_at=now)
                )
            debit.charge_after = earliest
        placed += place_order(debit, mandate) is not None
    return placed


def _contact(mandate: AutoTopupMandate) -> tuple[str, str]:
    """(email, contact) for the debit: what the customer gave when authorising the mandate."""
    if mandate.authorisation_order_id:
        try:
            for payment in get_gateway().order_payments(mandate.authorisation_order_id):
                if payment.get("contact") or payment.get("email"):
                    return str(payment.get("email") or ""), str(payment.get("contact") or FALLBACK_CONTACT)
        except PaymentGatewayError:
            pass
    return "", FALLBACK_CONTACT


def drop_unwanted(*, now: datetime) -> int:
    """Withdraw each notified debit whose org turned auto top-up off (or lost its mandate) since
    the notice: it is never charged (status skipped, with the reason). Returns how many."""
    with read_session() as session:
        rows = session.exec(
            select(AutoTopupDebit, AutoTopupRule, AutoTopupMandate)
            .join(AutoTopupMandate, col(AutoTopupMandate.id) == AutoTopupDebit.mandate_id)
            .outerjoin(AutoTopupRule, col(AutoTopupRule.org_id) == AutoTopupDebit.org_id)
            .where(col(AutoTopupDebit.status) == DebitStatus.NOTIFIED)
        ).all()
    dropped = 0
    for debit, rule, mandate in rows:
        if rule is not None and rule.enabled and mandate.status == MandateStatus.CONFIRMED:
            continue
        why = "auto top-up was turned off" if rule is None or not rule.enabled else "the mandate stopped"
        with write_session() as session:
            done = session.execute(
                update(AutoTopupDebit)
                .where(col(AutoTopupDebit.id) == debit.id, col(AutoTopupDebit.status) == DebitStatus.NOTIFIED)
                .values(status=DebitStatus.SKIPPED, last_error=f"withdrawn: {why}", updated_at=now)
                .returning(col(AutoTopupDebit.id))
            ).first()
            if done is not None:
                audit.record(
                    session,
                    org_id=debit.org_id,
                    action="autotopup.debit.withdrawn",
                    subject=f"autotopup_debit:{debit.id}",
                    after={"reason": why},
                )
                dropped += 1
    return dropped


def charge_due(*, now: datetime) -> int:
    """Charge every notified debit whose time has come; each is claimed first (notified →
    charging, attempts + 1) so it is charged by one tick only. Returns how many were sent."""
    with read_session() as session:
        due = session.exec(
            select(AutoTopupDebit.id).where(
                col(AutoTopupDebit.status) == DebitStatus.NOTIFIED,
                col(AutoTopupDebit.charge_after) <= now,
                col(AutoTopupDebit.razorpay_order_id).is_not(None),
            )
        ).all()
    sent = 0
    for debit_id in due:
        with write_session() as session:
            claimed = session.execute(
                update(AutoTopupDebit)
                .where(
                    col(AutoTopupDebit.id) == debit_id,
                    col(AutoTopupDebit.status) == DebitStatus.NOTIFIED,
                    col(AutoTopupDebit.charge_after) <= now,
                )
                .values(status=DebitStatus.CHARGING, attempts=col(AutoTopupDebit.attempts) + 1, updated_at=now)
                .returning(col(AutoTopupDebit.id))
            ).first()
            debit = session.get(AutoTopupDebit, debit_id) if claimed else None
            mandate = session.get(AutoTopupMandate, debit.mandate_id) if debit else None
        if debit is None or mandate is None:
            continue
        _charge(debit, mandate, now)
        sent += 1
    return sent


def _charge(debit: AutoTopupDebit, mandate: AutoTopupMandate, now: datetime) -> None:
    assert debit.razorpay_order_id is not None and mandate.token_id is not None
    email, contact = _contact(mandate)
    try:
        answer = get_gateway().create_recurring(
            order_id=debit.razorpay_order_id,
            customer_id=mandate.razorpay_customer_id,
            token_id=mandate.token_id,
            amount_paise=debit.amount_paise,
            email=email or "billing@example.invalid",
            contact=contact,
            description=f"Auto top-up ({format_rupees(debit.amount_paise)})",
            notes={"org_id": str(debit.org_id), "autotopup_debit": str(debit.id)},
        )
    except PaymentGatewayError as exc:
        _failed(debit, now, reason=exc.message)
        return
    with write_session() as session:
        session.execute(
            update(AutoTopupDebit)
            .where(col(AutoTopupDebit.id) == debit.id)
            .values(razorpay_payment_id=answer.get("razorpay_payment_id"), updated_at=now)
        )


def _failed(debit: AutoTopupDebit, now: datetime, *, reason: str) -> None:
    """A charging debit that did not go through: try again after the next pause, or, after
    MAX_ATTEMPTS, give up and turn auto top-up off (the owner is emailed). Once only: the
    UPDATE moves it from charging."""
    attempts = debit.attempts
    give_up = attempts >= MAX_ATTEMPTS
    values: dict[str, object] = {"last_error": reason[:500], "updated_at": now, "razorpay_payment_id": None}
    if give_up:
        values["status"] = DebitStatus.FAILED
    else:
        values["status"] = DebitStatus.NOTIFIED
        values["charge_after"] = now + RETRY_BACKOFF[min(attempts, len(RETRY_BACKOFF)) - 1]
    with write_session() as session:
        moved = session.execute(
            update(AutoTopupDebit)
            .where(col(AutoTopupDebit.id) == debit.id, col(AutoTopupDebit.status) == DebitStatus.CHARGING)
            .values(**values)
            .returning(col(AutoTopupDebit.id))
        ).first()
        if moved is None:
            return
        audit.record(
            session,
            org_id=debit.org_id,
            action="autotopup.debit.failed" if give_up else "autotopup.debit.retry",
            subject=f"autotopup_debit:{debit.id}",
            after={"attempts": attempts, "reason": reason[:200]},
        )
        if give_up:
            why = f"the automatic debit failed {attempts} times ({reason[:120]})"
            was_on = switch_off_in(session, org_id=debit.org_id, reason=f"Auto top-up was turned off: {why}.")
            queue_notice_in(session, org_id=debit.org_id, reason=why, was_on=was_on)


def follow(*, now: datetime) -> int:
    """Bring each charging debit to its outcome: its order settled (through settle_order, the
    one credit path) → captured; its payment failed → retry or give up. A notified debit whose
    order got paid anyway (a debit Razorpay made although its answer was lost) is captured too,
    never charged again: known paid here, or, for a retry now due, paid by Razorpay's own word
    (its webhooks may never come). Returns how many moved."""
    with read_session() as session:
        charging = session.exec(select(AutoTopupDebit).where(col(AutoTopupDebit.status) == DebitStatus.CHARGING)).all()
        paid_anyway = session.exec(
            select(AutoTopupDebit)
            .join(PaymentOrder, col(PaymentOrder.razorpay_order_id) == AutoTopupDebit.razorpay_order_id)
            .where(col(AutoTopupDebit.status) == DebitStatus.NOTIFIED, col(PaymentOrder.status) == OrderStatus.PAID)
        ).all()
        retries_due = session.exec(
            select(AutoTopupDebit).where(
                col(AutoTopupDebit.status) == DebitStatus.NOTIFIED,
                col(AutoTopupDebit.attempts) > 0,
                col(AutoTopupDebit.charge_after) <= now,
                col(AutoTopupDebit.razorpay_order_id).is_not(None),
            )
        ).all()
    moved = sum(_captured(debit, now, DebitStatus.NOTIFIED) for debit in paid_anyway)
    moved += sum(_paid_before_retry(debit, now) for debit in retries_due if debit not in paid_anyway)
    for debit in charging:
        if debit.razorpay_order_id is None or debit.razorpay_payment_id is None:
            continue
        try:
            if settle_order(razorpay_order_id=debit.razorpay_order_id).status == "paid":
                moved += _captured(debit, now)
                continue
            payment = get_gateway().fetch_payment(debit.razorpay_payment_id)
        except PaymentGatewayError as exc:
            log.warning("auto top-up debit %d: could not follow (%s)", debit.id, exc.message)
            continue
        if payment.get("status") == "failed":
            _failed(debit, now, reason=str(payment.get("error_description") or payment.get("error_reason") or "failed"))
            moved += 1
    return moved


def _paid_before_retry(debit: AutoTopupDebit, now: datetime) -> int:
    """Before an attempt is retried, Razorpay's word on its order: an attempt whose answer was
    lost may have charged after all, and its webhooks may not have come (or not yet). Paid:
    credited through settle_order and captured, never charged again."""
    assert debit.razorpay_order_id is not None
    try:
        if settle_order(razorpay_order_id=debit.razorpay_order_id).status != "paid":
            return 0
    except PaymentGatewayError as exc:
        log.warning("auto top-up debit %d: could not ask about its order (%s)", debit.id, exc.message)
        return 0
    return _captured(debit, now, DebitStatus.NOTIFIED)


def payment_failed(*, razorpay_order_id: str, razorpay_payment_id: str) -> bool:
    """A `payment.failed` webhook: if the payment is the charging attempt of one of our debits,
    that attempt goes to the failure path now (retry after its pause, or give up), instead of at
    the next pass's `follow`. Nothing in the webhook is trusted: only the attempt that made this
    very payment is failed (a late event about an earlier attempt finds nothing), and only once
    Razorpay says the payment failed; `_failed` moves it once. The pause runs from the attempt's
    moment, as when `follow` finds it. Returns whether a debit moved."""
    with read_session() as session:
        debit = session.exec(
            select(AutoTopupDebit).where(
                col(AutoTopupDebit.razorpay_order_id) == razorpay_order_id,
                col(AutoTopupDebit.razorpay_payment_id) == razorpay_payment_id,
                col(AutoTopupDebit.status) == DebitStatus.CHARGING,
            )
        ).first()
    if debit is None:
        return False
    payment = get_gateway().fetch_payment(razorpay_payment_id)
    if payment.get("status") != "failed":
        return False
    reason = str(payment.get("error_description") or payment.get("error_reason") or "failed")
    _failed(debit, debit.updated_at, reason=reason)
    return True


def _captured(debit: AutoTopupDebit, now: datetime, status: DebitStatus = DebitStatus.CHARGING) -> int:
    """Mark the debit captured once, naming the payment that was credited (the one settle_order
    recorded for its order, whichever attempt made it)."""
    with write_session() as session:
        credited = session.exec(
            select(Payment.razorpay_payment_id)
            .join(PaymentOrder, col(PaymentOrder.id) == Payment.order_id)
            .where(col(PaymentOrder.razorpay_order_id) == debit.razorpay_order_id)
        ).first()
        done = session.execute(
            update(AutoTopupDebit)
            .where(col(AutoTopupDebit.id) == debit.id, col(AutoTopupDebit.status) == status)
            .values(status=DebitStatus.CAPTURED, updated_at=now, razorpay_payment_id=credited)
            .returning(col(AutoTopupDebit.id))
        ).first()
        if done is None:
            return 0
        audit.record(
            session,
            org_id=debit.org_id,
            action="autotopup.debit.captured",
            subject=f"autotopup_debit:{debit.id}",
            after={"payment_id": credited, "credits_micros": debit.credits_micros},
        )
    return 1


def enabled_org_ids() -> list[int]:
    with read_session() as session:
        return list(session.exec(select(AutoTopupRule.org_id).where(col(AutoTopupRule.enabled).is_(True))).all())


def pending_debit(session: Session, org_id: int) -> AutoTopupDebit | None:
    """The org's notified or charging debit (at most one)."""
    return session.exec(
        select(AutoTopupDebit).where(
            col(AutoTopupDebit.org_id) == org_id, col(AutoTopupDebit.status).in_(PENDING_DEBIT_STATUSES)
        )
    ).first()


def skip(*, org_id: int, debit_id: int) -> AutoTopupDebit:
    """The person skips a notified debit before it is charged. Raises NotFound (not this org's
    debit), Conflict (already charging or settled)."""
    roles.check(org_id, Permission.PAY)
    with write_session() as session:
        row = session.get(AutoTopupDebit, debit_id)
        if row is None or row.org_id != org_id:
            raise NotFound("No such auto top-up.")
        done = session.execute(
            update(AutoTopupDebit)
            .where(col(AutoTopupDebit.id) == debit_id, col(AutoTopupDebit.status) == DebitStatus.NOTIFIED)
            .values(status=DebitStatus.SKIPPED, updated_at=utcnow())
            .returning(col(AutoTopupDebit.id))
        ).first()
        if done is None:
            raise Conflict("This auto top-up is already being charged or has finished; it cannot be skipped.")
        audit.record(
            session,
            org_id=org_id,
            action="autotopup.debit.skipped",
            subject=f"autotopup_debit:{debit_id}",
            before={"status": row.status},
            after={"status": DebitStatus.SKIPPED.value},
        )
        session.flush()
        session.refresh(row)
    return row
