"""What Settings → Auto top-up shows, as strings: the mandate, the rule as the form holds it,
the pending debit and the dry run's top-ups. Reflex sends these to the browser as they are."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.ist import display_ist
from billing_app.models import AutoTopupDebit, AutoTopupMandate, AutoTopupRule
from billing_app.money import format_money, format_rupees, format_units, plain_amount, units_to_micros
from billing_app.services.autotopup.replay import DryRun

# Why a stopped mandate leaves auto top-up off, by its status (the bank's reason follows).
_STOPPED = {
    "rejected": "Your bank or UPI app declined the mandate, so auto top-up is off.",
    "cancelled": "The mandate was cancelled, so auto top-up is off.",
    "paused": "The mandate is paused in your UPI app, so auto top-up is off. Resume it there; then turn auto "
    "top-up on again here.",
}
METHOD_NAMES = {"upi": "UPI AutoPay", "card": "Card"}


@dataclass(frozen=True)
class MandateView:
    status: str = ""  # "" (none), pending, confirmed, rejected, cancelled, paused
    method: str = ""  # "UPI AutoPay" | "Card"
    instrument: str = ""  # "Visa •••• 1111" or the UPI id
    maximum: str = ""  # "₹15,000"
    expires: str = ""  # "04 Dec 2036"
    stopped: str = ""  # why auto top-up is off because of the mandate ("" while it is usable)
    bank_reason: str = ""  # the bank's own words, when it gave some
    authorised: bool = False  # pending with its authorisation paid: the bank has to confirm it


def mandate_view(row: AutoTopupMandate | None) -> MandateView:
    if row is None:
        return MandateView()
    reason = row.failure_reason or ""
    return MandateView(
        status=row.status,
        method=METHOD_NAMES.get(row.method, row.method),
        instrument=row.instrument,
        maximum=format_rupees(row.max_amount_paise),
        expires=display_ist(row.expire_at)[:11],
        stopped=_STOPPED.get(row.status, ""),
        bank_reason="" if reason in ("", "cancelled by you", "replaced by a new authorisation") else reason,
        authorised=row.status == "pending" and row.token_id is not None,
    )


@dataclass(frozen=True)
class RuleForm:
    """The rule as the form's inputs hold it (plain numbers, no symbols)."""

    amount: str = ""
    floor: str = ""
    monthly_cap: str = ""
    enabled: bool = False
    saved: bool = False
    disabled_reason: str = ""
    enabled_at: str = ""


def rule_form(row: AutoTopupRule | None) -> RuleForm:
    if row is None:
        return RuleForm()
    return RuleForm(
        amount=str(row.amount_units),
        floor=plain_amount(row.floor_micros),
        monthly_cap=str(row.monthly_cap_units),
        enabled=row.enabled,
        saved=True,
        disabled_reason="" if row.enabled else (row.disabled_reason or ""),
        enabled_at=display_ist(row.enabled_at) if row.enabled and row.enabled_at else "",
    )


@dataclass(frozen=True)
class PendingDebit:
    id: int = 0
    amount: str = ""
    charge_after: str = ""  # IST
    notified_at: str = ""
    reference: str = ""  # as the notice email says it
    charging: bool = False  # being charged now: too late to skip
    attempts: int = 0
    last_error: str = ""


def pending_debit(row: AutoTopupDebit | None, currency: str) -> PendingDebit:
    if row is None or row.id is None:
        return PendingDebit()
    return PendingDebit(
        id=row.id,
        amount=format_units(units_to_micros(row.amount_units), currency),
        charge_after=display_ist(row.charge_after),
        notified_at=display_ist(row.notified_at),
        reference=f"autotopup_{row.id}",
        charging=row.status == "charging",
        attempts=row.attempts,
        last_error=row.last_error or "",
    )


@dataclass(frozen=True)
class DryRunTopup:
    notified_at: str
    charged_at: str
    amount: str
    balance_at_notice: str
    late: bool
    pending: bool  # its charge falls after now: it would still be waiting


@dataclass(frozen=True)
class DryRunView:
    ran: bool = False
    period: str = ""  # "04 Nov – 04 Dec 2026"
    starting_balance: str = ""
    lowest_balance: str = ""
    lowest_at: str = ""
    refused_from: str = ""  # "" when no request would have been refused
    held_by_cap: str = ""  # "" when the cap never held a top-up back
    total: str = ""  # what the top-ups would have charged
    count: int = 0


def _period(result: DryRun) -> str:
    """ "04 Nov – 04 Dec 2026", or one day for an org created today."""
    first, last = display_ist(result.start)[:11], display_ist(result.end)[:11]
    return last if first == last else f"{first[:6]} – {last}"


def dry_run_view(result: DryRun, currency: str) -> tuple[DryRunView, list[DryRunTopup]]:
    """The dry run's summary and its top-ups."""

    def money(micros: int) -> str:
        return format_money(micros, currency)

    summary = DryRunView(
        ran=True,
        period=_period(result),
        starting_balance=money(result.starting_balance_micros),
        lowest_balance=money(result.lowest_balance_micros),
        lowest_at=display_ist(result.lowest_at),
        refused_from=display_ist(result.refused_from) if result.refused_from else "",
        held_by_cap=", ".join(display_ist(moment)[:11] for moment in result.held_by_cap),
        total=format_units(sum(each.amount_micros for each in result.topups), currency),
        count=len(result.topups),
    )
    topups = [
        DryRunTopup(
            notified_at=display_ist(each.notified_at),
            charged_at=display_ist(each.charged_at),
            amount=format_units(each.amount_micros, currency),
            balance_at_notice=money(each.balance_at_notice_micros),
            late=each.late,
            pending=each.charged_at > result.end,
        )
        for each in result.topups
    ]
    return summary, topups
