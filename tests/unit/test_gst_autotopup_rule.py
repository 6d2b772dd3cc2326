"""With GST on, an auto top-up's amount is the credit and the debit is the credit plus GST: the
mandate's maximum and the ₹15,000 automatic-debit ceiling hold for the debit (docs/gst.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.context import reset_context
from billing_app.errors import InvalidRequest
from billing_app.gst_tax import compute_tax
from billing_app.services.autotopup import CEILING_PAISE, make_rule
from billing_app.services.gst_pricing import worst_case_total_paise
from billing_app.services.topup_rules import TopupRules

RUPEE = 1_000_000
WIDE = TopupRules("INR", 100, 50_000, (), 8500)


@pytest.fixture
def gst_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SELLER_GSTIN", "29AAGCB7383J1Z4")
    monkeypatch.setenv("SELLER_STATE_CODE", "29")
    reset_context()
    yield
    reset_context()


def rule(amount: int, mandate_max_paise: int | None = None):
    return make_rule(
        amount=amount,
        floor_micros=100 * RUPEE,
        monthly_cap=100_000,
        method="upi",
        limits=WIDE,
        mandate_max_paise=mandate_max_paise,
    )


def test_the_amount_is_the_credit_and_the_debit_adds_gst(gst_on):
    made = rule(500)
    assert (made.amount_micros, made.price_paise, made.amount_paise) == (500 * RUPEE, 50_000, 59_000)


def test_the_ceiling_holds_for_the_debit_with_gst(gst_on):
    assert rule(12_700).amount_paise == 1_498_600 <= CEILING_PAISE  # ₹12,700 + 18 % = ₹14,986
    with pytest.raises(InvalidRequest) as refused:
        rule(12_800)  # ₹15,104 with GST
    assert refused.value.details["field"] == "amount"
    assert "₹15,104.00 with GST" in refused.value.message


def test_the_mandates_maximum_holds_for_the_debit_with_gst(gst_on):
    assert rule(500, mandate_max_paise=59_000).amount_paise == 59_000
    with pytest.raises(InvalidRequest) as refused:
        rule(500, mandate_max_paise=55_000)
    assert "at most ₹550.00" in refused.value.message


def test_without_a_gstin_the_debit_is_the_credits_price(monkeypatch):
    monkeypatch.delenv("SELLER_GSTIN", raising=False)
    reset_context()
    made = rule(14_000)
    assert made.amount_paise == made.price_paise == 1_400_000


@given(taxable=st.integers(min_value=0, max_value=10**10), rate=st.integers(min_value=0, max_value=100))
def test_the_worst_case_total_covers_either_place_of_supply(taxable, rate):
    import os

    os.environ["SELLER_GSTIN"] = "29AAGCB7383J1Z4"
    os.environ["GST_RATE_PERCENT"] = str(rate)
    reset_context()
    try:
        worst = worst_case_total_paise(taxable)
    finally:
        del os.environ["SELLER_GSTIN"], os.environ["GST_RATE_PERCENT"]
        reset_context()
    totals = {compute_tax(taxable_paise=taxable, rate_percent=rate, intra_state=intra).total_paise for intra in (1, 0)}
    assert worst == max(totals) and worst - min(totals) <= 1
