"""/me/billing/auto-topup: the rule (GET, PUT, DELETE), the mandate (POST to authorise one in
Checkout, DELETE to cancel it at Razorpay), skipping a notified debit, and the dry run over
the last 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import Micros, PathId, RequestBody
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.models import AutoTopupDebit, AutoTopupMandate, AutoTopupRule
from billing_app.services.autotopup import debits
from billing_app.services.autotopup import mandate as mandates
from billing_app.services.autotopup import settings as autotopup_settings
from billing_app.services.autotopup.replay import DryRun

router = APIRouter(prefix="/me/billing/auto-topup", tags=["auto top-up"], responses=errors(400, 401, 404, 422))

Method = Literal["upi", "card"]
MAX_COOLDOWN_MINUTES = 7 * 24 * 60
Units = Annotated[StrictInt, Field(ge=0, le=10**12)]


class RuleIn(RequestBody):
    amount: Units  # whole units of the credit currency, one top-up
    floor_micros: Micros  # top up before the balance is forecast to fall below this
    monthly_cap: Units  # whole units per IST month
    enabled: StrictBool
    method: Method | None = None  # defaults to the mandate's
    cooldown_minutes: Annotated[StrictInt, Field(ge=0, le=MAX_COOLDOWN_MINUTES)] = 60


class RuleOut(BaseModel):
    amount: int
    floor_micros: int
    monthly_cap: int
    method: str
    cooldown_minutes: int
    enabled: bool
    enabled_at: str | None  # ISO 8601, +05:30
    enabled_by_user_id: int | None
    disabled_reason: str | None  # why it is off, when the system or a person turned it off


class MandateOut(BaseModel):
    status: str  # pending | confirmed | rejected | cancelled | paused
    method: str
    instrument: str  # "Visa •••• 1111" or the UPI id; empty until confirmed
    max_amount_paise: int
    expire_at: str
    failure_reason: str | None
    customer_id: str
    authorisation_order_id: str | None
    created_at: str


class DebitOut(BaseModel):
    id: int
    status: str  # notified | charging | captured | failed | skipped | reversed
    amount: int  # whole units of the credit currency
    amount_paise: int
    notified_at: str  # ISO 8601, +05:30
    charge_after: str  # ISO 8601, +05:30: not charged before this
    attempts: int
    last_error: str | None


class AutoTopupOut(BaseModel):
    enabled: bool
    rule: RuleOut | None
    mandate: MandateOut | None
    sentence: str | None  # the forecast in words
    balance_micros: int
    currency: str
    pending_debit: DebitOut | None = None  # the notified or charging debit, if any


class MandateIn(RequestBody):
    # upi | card; checked by the service (after the role check), like the rule's fields
    method: str = Field(max_length=10, json_schema_extra={"examples": ["upi"]})
    # whole rupees: the most one debit may take (default and at most ₹15,000)
    max_amount: StrictInt | None = None


class MandateStartOut(BaseModel):
    order_id: str
    customer_id: str
    key_id: str
    checkout: dict[str, Any]  # hand to checkout.js as it is (recurring: 1, customer_id, order_id)
    mandate: MandateOut


class TopupOut(BaseModel):
    notified_at: str
    charged_at: str
    amount_micros: int
    balance_at_notice_micros: int
    late: bool


class DryRunOut(BaseModel):
    start: str
    end: str
    starting_balance_micros: int
    topups: list[TopupOut]
    lowest_balance_micros: int
    lowest_at: str
    refused_from: str | None
    held_by_cap: list[str]


def rule_out(row: AutoTopupRule) -> RuleOut:
    return RuleOut(
        amount=row.amount_units,
        floor_micros=row.floor_micros,
        monthly_cap=row.monthly_cap_units,
        method=row.method,
        cooldown_minutes=row.cooldown_seconds // 60,
        enabled=row.enabled,
        enabled_at=iso_ist(row.enabled_at) if row.enabled_at else None,
        enabled_by_user_id=row.enabled_by_user_id,
        disabled_reason=row.disabled_reason,
    )


def mandate_out(row: AutoTopupMandate) -> MandateOut:
    return MandateOut(
        status=row.status,
        method=row.method,
        instrument=row.instrument,
        max_amount_paise=row.max_amount_paise,
        expire_at=iso_ist(row.expire_at),
        failure_reason=row.failure_reason,
        customer_id=row.razorpay_customer_id,
        authorisation_order_id=row.authorisation_order_id,
        created_at=iso_ist(row.created_at),
    )


def debit_out(row: AutoTopupDebit) -> DebitOut:
    assert row.id is not None
    return DebitOut(
        id=row.id,
        status=row.status,
        amount=row.amount_units,
        amount_paise=row.amount_paise,
        notified_at=iso_ist(row.notified_at),
        charge_after=iso_ist(row.charge_after),
        attempts=row.attempts,
        last_error=row.last_error,
    )


def settings_out(found: autotopup_settings.AutoTopupSettings) -> AutoTopupOut:
    return AutoTopupOut(
        enabled=found.rule is not None and found.rule.enabled,
        rule=rule_out(found.rule) if found.rule else None,
        mandate=mandate_out(found.mandate) if found.mandate else None,
        sentence=found.sentence,
        balance_micros=found.balance_micros,
        currency=found.currency,
        pending_debit=debit_out(found.pending_debit) if found.pending_debit else None,
    )


@router.get("")
def get_auto_topup(principal: CurrentPrincipal) -> AutoTopupOut:
    return settings_out(autotopup_settings.get_settings(org_id=principal.org_id))


@router.put("")
def put_auto_topup(body: RuleIn, principal: CurrentPrincipal) -> AutoTopupOut:
    """Save the rule. `enabled: true` needs a confirmed mandate (400 `mandate_required`) and is
    recorded as this person's act; auto top-up never switches itself back on."""
    return settings_out(
        autotopup_settings.put_rule(
            org_id=principal.org_id,
            amount=body.amount,
            floor_micros=body.floor_micros,
            monthly_cap=body.monthly_cap,
            enabled=body.enabled,
            method=body.method,
            cooldown=timedelta(minutes=body.cooldown_minutes),
        )
    )


@router.delete("", status_code=204)
def delete_auto_topup(principal: CurrentPrincipal) -> Response:
    """Forget the rule (auto top-up off). The mandate stays: DELETE …/mandate cancels it."""
    autotopup_settings.delete_rule(org_id=principal.org_id)
    return Response(status_code=204)


@router.post("/mandate", status_code=201, responses=errors(409, 502))
def start_mandate(body: MandateIn, principal: CurrentPrincipal) -> MandateStartOut:
    """Start authorising a mandate: open Razorpay Checkout with `checkout`; the mandate turns
    `confirmed` when Razorpay's token.confirmed webhook arrives."""
    started = mandates.start(principal=principal, method=body.method, max_amount=body.max_amount)
    row = started.mandate
    assert row.authorisation_order_id is not None
    return MandateStartOut(
        order_id=row.authorisation_order_id,
        customer_id=row.razorpay_customer_id,
        key_id=started.checkout["key"],
        checkout=started.checkout,
        mandate=mandate_out(row),
    )


@router.delete("/mandate", responses=errors(502))
def cancel_mandate(principal: CurrentPrincipal) -> MandateOut:
    """Cancel the mandate at Razorpay; auto top-up goes off with it (404 when there is none)."""
    return mandate_out(mandates.cancel(principal=principal))


@router.post("/debits/{debit_id}/skip", responses=errors(409))
def skip_debit(debit_id: PathId, principal: CurrentPrincipal) -> DebitOut:
    """Skip a notified auto top-up before it is charged (409 once it is being charged or done)."""
    return debit_out(debits.skip(org_id=principal.org_id, debit_id=debit_id))


@router.get("/dry-run")
def get_dry_run(
    principal: CurrentPrincipal,
    amount: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    floor_micros: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    monthly_cap: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    method: Annotated[Method | None, Query()] = None,
) -> DryRunOut:
    """What the rule would have done over the last 30 IST days. Any of the rule's fields given
    here replace the saved ones (so a rule can be tried before it is saved)."""
    preview = autotopup_settings.preview(
        org_id=principal.org_id, amount=amount, floor_micros=floor_micros, monthly_cap=monthly_cap, method=method
    )
    return dry_run_out(preview)


def dry_run_out(result: DryRun) -> DryRunOut:
    return DryRunOut(
        start=iso_ist(result.start),
        end=iso_ist(result.end),
        starting_balance_micros=result.starting_balance_micros,
        topups=[
            TopupOut(
                notified_at=iso_ist(each.notified_at),
                charged_at=iso_ist(each.charged_at),
                amount_micros=each.amount_micros,
                balance_at_notice_micros=each.balance_at_notice_micros,
                late=each.late,
            )
            for each in result.topups
        ],
        lowest_balance_micros=result.lowest_balance_micros,
        lowest_at=iso_ist(result.lowest_at),
        refused_from=iso_ist(result.refused_from) if result.refused_from else None,
        held_by_cap=[iso_ist(moment) for moment in result.held_by_cap],
    )
