"""GST on top of a top-up (docs/gst.md): what a price of `taxable_paise` costs an org.

With `SELLER_GSTIN` unset every function here answers None and nothing is taxed. Otherwise the
place of supply comes from the org's billing address (its GSTIN's state, else its state code),
which decides CGST + SGST or IGST. The top-up panel, `create_order` and the auto top-up debits
all price through `price_for_org`, so what the panel says is what Razorpay charges.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from billing_app.config import get_settings
from billing_app.db import read_session
from billing_app.gst_tax import TaxBreakdown, compute_tax, is_intra_state, place_of_supply, price_sentence
from billing_app.models import BillingAddress
from billing_app.services import roles
from billing_app.services.roles import Permission

__all__ = ["GstPrice", "gst_price", "price_for_org", "price_in", "worst_case_total_paise"]


@dataclass(frozen=True)
class GstPrice:
    """A top-up's price with GST: the credits' price (taxable), the tax, the total charged."""

    tax: TaxBreakdown
    # The state code the split was computed for. An org without a billing address (an auto
    # top-up needs none) is supplied where the seller is (IGST Act s.12(2)(b): "where the
    # address is not on record, the location of the supplier").
    place_of_supply: str

    @property
    def taxable_paise(self) -> int:
        return self.tax.taxable_paise

    @property
    def tax_paise(self) -> int:
        return self.tax.tax_paise

    @property
    def total_paise(self) -> int:
        return self.tax.total_paise

    @property
    def sentence(self) -> str:
        """ "₹500 + ₹90 GST = ₹590": what the top-up panel says before paying."""
        return price_sentence(self.tax)


def gst_price(*, taxable_paise: int, buyer_gstin: str | None, billing_state_code: str | None) -> GstPrice | None:
    """The price with GST for a buyer at this address; None when GST is off (no SELLER_GSTIN)."""
    settings = get_settings()
    if not settings.gst_enabled:
        return None
    where = (
        place_of_supply(buyer_gstin=buyer_gstin, billing_state_code=billing_state_code)
        if billing_state_code is not None
        else settings.seller_state_code.strip()
    )
    intra = is_intra_state(place_of_supply=where, seller_state_code=settings.seller_state_code)
    tax = compute_tax(taxable_paise=taxable_paise, rate_percent=settings.gst_rate_percent, intra_state=intra)
    return GstPrice(tax=tax, place_of_supply=where)


def price_in(session: Session, *, org_id: int, taxable_paise: int) -> GstPrice | None:
    """`price_for_org` inside the caller's transaction (no role check: the caller did it)."""
    address = session.get(BillingAddress, org_id)
    return gst_price(
        taxable_paise=taxable_paise,
        buyer_gstin=address.gstin if address else None,
        billing_state_code=address.state_code if address else None,
    )


def price_for_org(*, org_id: int, taxable_paise: int) -> GstPrice | None:
    """What `taxable_paise` of credits' price costs this org with GST, from its billing address;
    None when GST is off. Raises Forbidden for a member who may not pay."""
    roles.check(org_id, Permission.PAY)
    with read_session() as session:
        return price_in(session, org_id=org_id, taxable_paise=taxable_paise)


def worst_case_total_paise(taxable_paise: int) -> int:
    """The most a price of `taxable_paise` can cost with GST wherever the buyer is (CGST + SGST
    can be a paisa more than IGST); `taxable_paise` itself when GST is off. For limits that must
    hold before the buyer's state is known (an auto top-up rule against the mandate's maximum)."""
    settings = get_settings()
    if not settings.gst_enabled:
        return taxable_paise
    rate = settings.gst_rate_percent
    return max(
        compute_tax(taxable_paise=taxable_paise, rate_percent=rate, intra_state=intra).total_paise
        for intra in (True, False)
    )
