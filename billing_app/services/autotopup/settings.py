"""The rule an org sets, stored: read it (with its mandate and the forecast sentence), save it,
remove it.

Saving validates with `make_rule`, against the confirmed mandate's maximum. Switching auto
top-up on is a person's act each time: it needs a confirmed mandate, records who and when,
and is audited. The system only ever switches it off (switch.py); nothing switches it back on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, MandateRequired, NotFound
from billing_app.ist import ist_day
from billing_app.models import AutoTopupDebit, AutoTopupMandate, AutoTopupRule, MandateStatus, Org, UsageDaily
from billing_app.models.autotopup import LIVE_MANDATE_STATUSES, PENDING_DEBIT_STATUSES
from billing_app.models.types import utcnow
from billing_app.services import audit, roles
from billing_app.services.actors import current_actor
from billing_app.services.autotopup.dry_run import dry_run
from billing_app.services.autotopup.forecast import WINDOW_DAYS
from billing_app.services.autotopup.mandate import latest_mandate
from billing_app.services.autotopup.replay import DryRun
from billing_app.services.autotopup.rule import DEFAULT_COOLDOWN, Rule, make_rule
from billing_app.services.autotopup.sentence import describe
from billing_app.services.roles import Permission


@dataclass(frozen=True)
class AutoTopupSettings:
    """The settings page and `GET /me/billing/auto-topup`: the rule (None before one is saved),
    the mandate (the live one, else the last that stopped), and the forecast in words."""

    rule: AutoTopupRule | None
    mandate: AutoTopupMandate | None
    sentence: str | None
    balance_micros: int
    currency: str
    # The notified (or charging) debit, if any: the page shows it with its Skip button.
    pending_debit: AutoTopupDebit | None = None


def rule_of(row: AutoTopupRule, *, mandate_max_paise: int | None = None) -> Rule:
    """The validated rule a stored row stands for (the forecast, the dry run, the debit job)."""
    return make_rule(
        amount=row.amount_units,
        floor_micros=row.floor_micros,
        monthly_cap=row.monthly_cap_units,
        method=row.method,
        mandate_max_paise=mandate_max_paise,
        cooldown=timedelta(seconds=row.cooldown_seconds),
    )


def spend_history(session: Session, org_id: int, now: datetime) -> dict[date, int]:
    """The org's cost per IST day over the forecast's window (usage rollups)."""
    first = ist_day(now) - timedelta(days=WINDOW_DAYS)
    rows = session.execute(
        sa.select(col(UsageDaily.day), sa.func.sum(col(UsageDaily.cost_micros)))
        .where(col(UsageDaily.org_id) == org_id, col(UsageDaily.day) >= first)
        .group_by(col(UsageDaily.day))
    ).all()
    return {day: int(cost) for day, cost in rows}


def get_settings(*, org_id: int, now: datetime | None = None) -> AutoTopupSettings:
    roles.check(org_id, Permission.PAY)
    now = now or utcnow()
    with read_session() as session:
        org = session.get(Org, org_id)
        if org is None:
            raise NotFound("No such organisation.")
        row = session.get(AutoTopupRule, org_id)
        mandate = latest_mandate(session, org_id)
        history = spend_history(session, org_id, now) if row is not None else {}
        pending = session.exec(
            select(AutoTopupDebit).where(
                col(AutoTopupDebit.org_id) == org_id, col(AutoTopupDebit.status).in_(PENDING_DEBIT_STATUSES)
            )
        ).first()
    sentence = None
    if row is not None:
        try:
            sentence = describe(now, org.balance_micros, history, rule_of(row))
        except InvalidRequest:  # saved under limits the deployment has since changed
            sentence = None
    return AutoTopupSettings(
        rule=row,
        mandate=mandate,
        sentence=sentence,
        balance_micros=org.balance_micros,
        currency=org.currency,
        pending_debit=pending,
    )


def _locked_mandate(session: Session, org_id: int) -> AutoTopupMandate | None:
    """The live mandate, locked (PostgreSQL) until the rule is saved: a token.cancelled
    processed meanwhile waits, then finds the rule on and turns it off."""
    return session.exec(
        select(AutoTopupMandate)
        .where(col(AutoTopupMandate.org_id) == org_id, col(AutoTopupMandate.status).in_(LIVE_MANDATE_STATUSES))
        .with_for_update()
    ).first()


def _values(row: AutoTopupRule) -> dict[str, object]:
    return {
        "amount_units": row.amount_units,
        "floor_micros": row.floor_micros,
        "monthly_cap_units": row.monthly_cap_units,
        "method": row.method,
        "cooldown_seconds": row.cooldown_seconds,
        "enabled": row.enabled,
    }


def put_rule(
    *,
    org_id: int,
    amount: int,
    floor_micros: int,
    monthly_cap: int,
    enabled: bool,
    method: str | None = None,
    cooldown: timedelta = DEFAULT_COOLDOWN,
) -> AutoTopupSettings:
    """Save the rule, and switch auto top-up on or off. `method` defaults to the mandate's (else
    the saved rule's).
    Raises InvalidRequest (naming the field) and MandateRequired (on, without a confirmed
    mandate)."""
    roles.check(org_id, Permission.PAY)
    actor = current_actor()
    with write_session() as session:
        mandate = _locked_mandate(session, org_id)
        confirmed = mandate if mandate is not None and mandate.status == MandateStatus.CONFIRMED else None
        row = session.get(AutoTopupRule, org_id)
        chosen = method or (mandate.method if mandate is not None else row.method if row is not None else None)
        if chosen is None:
            raise InvalidRequest("Choose how the mandate pays: upi or card.", field="method")
        rule = make_rule(
            amount=amount,
            floor_micros=floor_micros,
            monthly_cap=monthly_cap,
            method=chosen,
            mandate_max_paise=confirmed.max_amount_paise if confirmed else None,
            cooldown=cooldown,
        )
        if mandate is not None and rule.method != mandate.method:
            raise InvalidRequest(f"Your mandate pays by {mandate.method}.", field="method")
        if enabled and confirmed is None:
            raise MandateRequired()
        before = _values(row) if row is not None else None
        if row is None:
            row = AutoTopupRule(
                org_id=org_id, amount_units=amount, floor_micros=0, monthly_cap_units=0, method=rule.method
            )
        was_on = row.enabled
        row.amount_units = amount
        row.floor_micros = rule.floor_micros
        row.monthly_cap_units = monthly_cap
        row.method = rule.method
        row.cooldown_seconds = int(rule.cooldown.total_seconds())
        row.updated_at = utcnow()
        if enabled and not was_on:
            row.enabled, row.enabled_by_user_id, row.enabled_at = True, actor.user_id, utcnow()
            row.disabled_reason = row.disabled_at = None
        elif was_on and not enabled:
            row.enabled, row.disabled_reason, row.disabled_at = False, "Turned off by you.", utcnow()
        session.add(row)
        audit.record(
            session,
            org_id=org_id,
            action="autotopup.rule.saved",
            subject=f"org:{org_id}",
            before=before,
            after=_values(row),
        )
        if row.enabled != was_on:
            action = "autotopup.enabled" if row.enabled else "autotopup.disabled"
            audit.record(session, org_id=org_id, action=action, subject=f"org:{org_id}", after=_values(row))
    return get_settings(org_id=org_id)


def delete_rule(*, org_id: int) -> None:
    """Remove the rule (auto top-up off, its settings forgotten). The mandate stays: cancel it
    separately. Idempotent."""
    roles.check(org_id, Permission.PAY)
    with write_session() as session:
        row = session.get(AutoTopupRule, org_id)
        if row is None:
            return
        before = _values(row)
        session.execute(delete(AutoTopupRule).where(col(AutoTopupRule.org_id) == org_id))
        audit.record(session, org_id=org_id, action="autotopup.rule.deleted", subject=f"org:{org_id}", before=before)


def preview(
    *,
    org_id: int,
    amount: int | None = None,
    floor_micros: int | None = None,
    monthly_cap: int | None = None,
    method: str | None = None,
) -> DryRun:
    """The dry run of a rule over the last 30 days: the fields given replace the saved rule's, so
    a rule can be tried before it is saved (the page's "Dry run", `GET …/dry-run`). The method
    defaults to the saved rule's, else the mandate's, else UPI. Read-only.
    Raises InvalidRequest naming the first field that is neither given nor saved, or invalid."""
    found = get_settings(org_id=org_id)
    saved, mandate = found.rule, found.mandate
    chosen: dict[str, int | None] = {
        "amount": amount if amount is not None else saved.amount_units if saved else None,
        "floor_micros": floor_micros if floor_micros is not None else saved.floor_micros if saved else None,
        "monthly_cap": monthly_cap if monthly_cap is not None else saved.monthly_cap_units if saved else None,
    }
    for name, value in chosen.items():
        if value is None:
            raise InvalidRequest(f"Give {name} (no rule is saved yet).", field=name)
    rule = make_rule(
        amount=int(chosen["amount"] or 0),
        floor_micros=int(chosen["floor_micros"] or 0),
        monthly_cap=int(chosen["monthly_cap"] or 0),
        method=method or (saved.method if saved else mandate.method if mandate else "upi"),
        cooldown=timedelta(seconds=saved.cooldown_seconds) if saved else DEFAULT_COOLDOWN,
    )
    return dry_run(org_id=org_id, rule=rule)
