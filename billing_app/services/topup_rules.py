"""Top-up amounts: whole units of the credit currency within the configured limits."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.config import get_settings
from billing_app.errors import AmountInvalid
from billing_app.money import AmountError, format_units, parse_whole_units, topup_paise, units_to_micros


@dataclass(frozen=True)
class TopupRules:
    currency: str
    min_units: int
    max_units: int
    presets: tuple[int, ...]
    usd_inr_rate_paise: int


def topup_rules() -> TopupRules:
    settings = get_settings()
    if settings.billing_currency == "USD":
        return TopupRules(
            "USD",
            settings.usd_topup_min_units,
            settings.usd_topup_max_units,
            settings.usd_topup_presets,
            settings.usd_inr_rate_paise,
        )
    return TopupRules(
        "INR",
        settings.topup_min_units,
        settings.topup_max_units,
        settings.inr_topup_presets,
        settings.usd_inr_rate_paise,
    )


@dataclass(frozen=True)
class Quote:
    units: int
    currency: str
    amount_paise: int  # what Razorpay charges, in INR paise
    credits_micros: int


def quote_topup(*, amount: str | int | float) -> Quote:
    """Validate a top-up amount (whole units, within the limits) and price it.

    Raises AmountInvalid with a message a person can act on."""
    rules = topup_rules()
    limits = f"between {format_units(units_to_micros(rules.min_units), rules.currency)} and " + format_units(
        units_to_micros(rules.max_units), rules.currency
    )
    try:
        units = parse_whole_units(amount)
    except AmountError as exc:
        raise AmountInvalid(f"Enter a whole amount {limits}.", field="amount") from exc
    if not rules.min_units <= units <= rules.max_units:
        raise AmountInvalid(f"Top-ups must be {limits}.", field="amount")
    return Quote(
        units=units,
        currency=rules.currency,
        amount_paise=topup_paise(units, rules.currency, rules.usd_inr_rate_paise),
        credits_micros=units_to_micros(units),
    )
