"""GST arithmetic: tax on top of a top-up, the place of supply, and a credit note's reversal.

Pure functions on integer **paise** (what Razorpay charges and what a tax invoice prints), never
micros and never floats: GST is a tax on the rupees paid, and the credits bought are a separate
figure. docs/gst.md explains the rounding choices; the tests check them as properties.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from billing_app.gst import normalise_gstin, state_name
from billing_app.money import MICROS_PER_UNIT, PAISE_PER_RUPEE, format_units

__all__ = [
    "TaxBreakdown",
    "compute_tax",
    "half_up",
    "is_intra_state",
    "place_of_supply",
    "price_sentence",
    "rate_text",
    "reverse_pro_rata",
]


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero (not banker's)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """What one document charges (or a credit note gives back), in paise.

    Within a state CGST and SGST are charged and IGST is 0; across states only IGST. A
    credit note carries the same shape, each figure the part it reverses."""

    taxable_paise: int
    rate_percent: int
    intra_state: bool
    cgst_paise: int = 0
    sgst_paise: int = 0
    igst_paise: int = 0

    @property
    def tax_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise

    @property
    def total_paise(self) -> int:
        return self.taxable_paise + self.tax_paise

    @property
    def half_rate_percent(self) -> Decimal:
        """The CGST (and SGST) rate: half the GST rate, 9 at 18."""
        return Decimal(self.rate_percent) / 2


def place_of_supply(*, buyer_gstin: str | None, billing_state_code: str) -> str:
    """IGST Act s.12(2): a registered buyer's location (its GSTIN's state code), otherwise the
    address on record. Raises ValueError when neither names a GST state."""
    gstin = normalise_gstin(buyer_gstin) if buyer_gstin else ""
    code = gstin[:2] if gstin else billing_state_code.strip()
    if state_name(code) is None:
        raise ValueError(f"{code!r} is not a GST state code")
    return code


def is_intra_state(*, place_of_supply: str, seller_state_code: str) -> bool:
    """Same state as the seller: CGST + SGST. Otherwise IGST."""
    return place_of_supply == seller_state_code.strip()


def compute_tax(*, taxable_paise: int, rate_percent: int, intra_state: bool) -> TaxBreakdown:
    """GST on top of `taxable_paise`, each tax rounded to the paisa half-up.

    Across states: IGST = taxable × rate. Within a state, CGST and SGST are each taxable × rate/2,
    rounded on their own, so they are always equal (GSTR-1 expects them so). When taxable × rate/2
    ends in exactly half a paisa, both halves round up and the pair is one paisa more than the
    IGST would have been (₹101 at 5 %: 2.525 + 2.525 → ₹2.53 + ₹2.53, IGST ₹5.05). Whole-rupee
    amounts at an even rate (18, 12, 28, 40) never round at all."""
    if taxable_paise < 0 or rate_percent < 0:
        raise ValueError("taxable value and rate must not be negative")
    if not intra_state:
        igst = half_up(taxable_paise * rate_percent, 100)
        return TaxBreakdown(taxable_paise, rate_percent, intra_state=False, igst_paise=igst)
    half = half_up(taxable_paise * rate_percent, 200)
    return TaxBreakdown(taxable_paise, rate_percent, intra_state=True, cgst_paise=half, sgst_paise=half)


_TAXES = ("cgst_paise", "sgst_paise", "igst_paise")


def reverse_pro_rata(*, original: TaxBreakdown, refund_paise: int, already_reversed: TaxBreakdown) -> TaxBreakdown:
    """The part of `original` a credit note for a refund of `refund_paise` reverses.

    `refund_paise` is a part of what was paid (taxable + tax); `already_reversed` is the sum of
    the earlier credit notes for the same invoice (zeros when none). Each tax is reversed so that
    the *cumulative* reversal is that tax × (everything refunded so far ÷ paid), rounded half-up:
    rounding never accumulates across several partial refunds, and a refund of the rest reverses
    exactly what is left. The taxable part is the refund less the tax, so the note always adds up
    to the refund. No figure ever goes below zero or past what the invoice charged: where the
    rounded shares would (a refund of a single paisa when CGST and SGST both round up), a paisa
    moves between the taxes and the taxable value — the later tax gives first, the earlier takes
    first."""
    paid = original.total_paise
    before = already_reversed.total_paise
    if refund_paise <= 0:
        raise ValueError("a credit note reverses a positive amount")
    if before + refund_paise > paid:
        raise ValueError("refunds would exceed what was paid")
    after = before + refund_paise
    shares: dict[str, int] = {}
    for name in _TAXES:
        charged, done = getattr(original, name), getattr(already_reversed, name)
        if done > charged:
            raise ValueError(f"{name} already reversed exceeds what was charged")
        shares[name] = min(max(half_up(charged * after, paid) - done, 0), charged - done)
    taxable_left = original.taxable_paise - already_reversed.taxable_paise
    if taxable_left < 0:
        raise ValueError("taxable value already reversed exceeds what was charged")
    surplus = sum(shares.values()) - refund_paise  # > 0: the taxable part would be negative
    while surplus > 0:
        name = max(reversed(_TAXES), key=lambda n: shares[n])
        shares[name] -= 1
        surplus -= 1

    def room(name: str) -> int:
        return getattr(original, name) - getattr(already_reversed, name) - shares[name]

    deficit = (refund_paise - sum(shares.values())) - taxable_left  # > 0: taxable would exceed
    while deficit > 0:
        shares[max(_TAXES, key=room)] += 1
        deficit -= 1
    return replace(
        original,
        taxable_paise=refund_paise - sum(shares.values()),
        cgst_paise=shares["cgst_paise"],
        sgst_paise=shares["sgst_paise"],
        igst_paise=shares["igst_paise"],
    )


def rate_text(percent: Decimal | int) -> str:
    """18 → "18%", 2.5 → "2.5%"."""
    return f"{Decimal(percent).normalize():f}%"


def price_sentence(breakdown: TaxBreakdown) -> str:
    """What the top-up panel says before paying: "₹500 + ₹90 GST = ₹590"."""

    def rupees(paise: int) -> str:
        return format_units(paise * (MICROS_PER_UNIT // PAISE_PER_RUPEE), "INR")

    return f"{rupees(breakdown.taxable_paise)} + {rupees(breakdown.tax_paise)} GST = {rupees(breakdown.total_paise)}"
