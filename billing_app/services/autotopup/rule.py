"""The auto top-up rule a person sets: how much, below what floor, how much a month at most,
through which mandate method, and how long to wait after each debit.

Validated once, here, so the forecast (forecast.py), the decision (decide.py) and the dry run
(dry_run.py) can trust every field. Amounts the person types are whole units of the credit
currency, like a manual top-up; the floor is any amount (micros).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from billing_app.config import get_settings
from billing_app.errors import InvalidRequest
from billing_app.money import format_paise, format_units, topup_paise, units_to_micros
from billing_app.services.gst_pricing import worst_case_total_paise
from billing_app.services.topup_rules import TopupRules, topup_rules

# RBI: an automatic (recurring) debit above ₹15,000 needs the customer's OTP/PIN again, so an
# unattended top-up never asks for more. In paise, because the limit is on what is charged.
CEILING_PAISE = 15_000 * 100
DEFAULT_COOLDOWN = timedelta(hours=1)
MAX_COOLDOWN = timedelta(days=7)
# A cap this far above any sensible spend is a typing slip, not a cap.
MAX_MONTHLY_CAP_UNITS = 10_000_000


class Method(StrEnum):
    """How the mandate pays: each has its own notice lead time, because Razorpay waits longer
    after the notice before a card debit than before a UPI AutoPay one."""

    UPI = "upi"
    CARD = "card"


@dataclass(frozen=True)
class Rule:
    """A validated rule (build it with `make_rule`). Money in micros of the credit currency,
    except the paise: `price_paise` is the price of one top-up's credits, `amount_paise` the
    most Razorpay would charge for it (GST on top when the seller is registered, docs/gst.md:
    the rule's amount is the credit, the debit is the credit plus GST)."""

    amount_micros: int
    amount_paise: int
    price_paise: int
    floor_micros: int
    monthly_cap_micros: int
    method: Method
    lead_time: timedelta
    cooldown: timedelta
    currency: str = "INR"


def lead_time_for(method: Method) -> timedelta:
    """The configured notice lead time of a mandate method (AUTO_TOPUP_LEAD_*_HOURS)."""
    settings = get_settings()
    hours = settings.auto_topup_lead_card_hours if method == Method.CARD else settings.auto_topup_lead_upi_hours
    return timedelta(hours=hours)


def _whole(value: object, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{what} must be a whole number.", field=field)
    return value


def make_rule(
    *,
    amount: int,
    floor_micros: int,
    monthly_cap: int,
    method: str,
    mandate_max_paise: int | None = None,
    cooldown: timedelta = DEFAULT_COOLDOWN,
    limits: TopupRules | None = None,
    lead_time: timedelta | None = None,
) -> Rule:
    """Check a rule the way the settings form and the API send it and build it.

    `amount` and `monthly_cap` are whole units of the credit currency; `mandate_max_paise` is
    the authorised mandate's `max_amount` (None before a mandate exists). `limits` and
    `lead_time` default to the deployment's settings. Raises InvalidRequest naming the field.
    """
    limits = limits or topup_rules()
    unit = limits.currency
    units = _whole(amount, "amount", "The top-up amount")
    if not limits.min_units <= units <= limits.max_units:
        low, high = (format_units(units_to_micros(n), unit) for n in (limits.min_units, limits.max_units))
        raise InvalidRequest(f"Auto top-ups must be between {low} and {high}.", field="amount")
    price = topup_paise(units, unit, limits.usd_inr_rate_paise)
    paise = worst_case_total_paise(price)  # the debit: the credit's price plus GST, when charged
    more = f" This top-up is {format_paise(paise)} with GST." if paise != price else ""
    if paise > CEILING_PAISE:
        raise InvalidRequest(
            f"An automatic debit can be at most {format_paise(CEILING_PAISE)}: above that the bank asks "
            f"you to approve each one.{more}",
            field="amount",
        )
    if mandate_max_paise is not None and paise > mandate_max_paise:
        raise InvalidRequest(
            f"Your mandate allows debits of at most {format_paise(mandate_max_paise)}.{more}", field="amount"
        )
    floor = _whole(floor_micros, "floor", "The floor")
    if floor < 0:
        raise InvalidRequest("The floor cannot be below zero.", field="floor")
    cap = _whole(monthly_cap, "monthly_cap", "The monthly cap")
    if cap < units:
        raise InvalidRequest(
            "The monthly cap must allow at least one top-up of the amount you chose.", field="monthly_cap"
        )
    if cap > MAX_MONTHLY_CAP_UNITS:
        raise InvalidRequest(
            f"The monthly cap can be at most {format_units(units_to_micros(MAX_MONTHLY_CAP_UNITS), unit)}.",
            field="monthly_cap",
        )
    try:
        chosen = Method(method)
    except ValueError:
        raise InvalidRequest("The mandate method must be upi or card.", field="method") from None
    if not timedelta(0) <= cooldown <= MAX_COOLDOWN:
        raise InvalidRequest("The pause after each top-up must be between 0 and 7 days.", field="cooldown")
    return Rule(
        amount_micros=units_to_micros(units),
        amount_paise=paise,
        price_paise=price,
        floor_micros=floor,
        monthly_cap_micros=units_to_micros(cap),
        method=chosen,
        lead_time=lead_time if lead_time is not None else lead_time_for(chosen),
        cooldown=cooldown,
        currency=unit,
    )
