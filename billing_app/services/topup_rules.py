"""Top-up amounts: whole units of the credit currency within the configured limits."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.config import get_settings
from billing_app.errors import AmountInvalid
from billing_app.money import AmountError, format_units, parse_whole_units, topup_paise, units_to_micros
from billing_app.services.gst_pricing import GstPrice, price_for_org


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
    amount_paise: int  # what Razorpay charges, in INR paise (GST included when charged)
    credits_micros: int
    # With GST on and an org to price for: the credits' price, the tax and the place of supply.
    gst: GstPrice | None = None

    @property
    def taxable_paise(self) -> int:
        """The price of the credits, before GST (what a tax invoice calls the taxable value)."""
        return self.gst.taxable_paise if self.gst else self.amount_paise

    @property
    def tax_paise(self) -> int:
        return self.gst.tax_paise if self.gst else 0


def quote_topup(*, amount: str | int | float, org_id: int | None = None) -> Quote:
    """Validate a top-up amount (whole units, within the limits) and price it; for `org_id`,
    with GST on top when the seller is registered (`quote.gst`, from its billing address:
    ₹500 of credits is ₹590 at Razorpay). Without `org_id`, or without SELLER_GSTIN, the price
    is the credits' price alone.

    Raises AmountInvalid with a message a person can act on; Forbidden for a member of `org_id`
    who may not pay."""
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
    price = topup_paise(units, rules.currency, rules.usd_inr_rate_paise)
    gst = price_for_org(org_id=org_id, taxable_paise=price) if org_id is not None else None
    return Quote(
        units=units,
        currency=rules.currency,
        amount_paise=gst.total_paise if gst else price,
        credits_micros=units_to_micros(units),
        gst=gst,
    )
