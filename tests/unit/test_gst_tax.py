"""GST arithmetic: tax on top, the CGST/SGST split, place of supply, pro-rata reversal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.gst_tax import (
    TaxBreakdown,
    compute_tax,
    half_up,
    is_intra_state,
    place_of_supply,
    price_sentence,
    rate_text,
    reverse_pro_rata,
)

KARNATAKA_GSTIN = "29AAGCB7383J1Z4"
paise = st.integers(min_value=0, max_value=10**13)
rates = st.sampled_from([0, 1, 3, 5, 12, 18, 28, 40])


def test_five_hundred_rupees_is_five_hundred_ninety():
    tax = compute_tax(taxable_paise=50_000, rate_percent=18, intra_state=False)
    assert (tax.igst_paise, tax.tax_paise, tax.total_paise) == (9_000, 9_000, 59_000)
    assert price_sentence(tax) == "₹500 + ₹90 GST = ₹590"


def test_within_a_state_cgst_and_sgst_are_half_each():
    tax = compute_tax(taxable_paise=50_000, rate_percent=18, intra_state=True)
    assert (tax.cgst_paise, tax.sgst_paise, tax.igst_paise) == (4_500, 4_500, 0)
    assert rate_text(tax.half_rate_percent) == "9%"
    assert rate_text(compute_tax(taxable_paise=1, rate_percent=5, intra_state=True).half_rate_percent) == "2.5%"


def test_rounding_is_half_up_to_the_paisa():
    assert compute_tax(taxable_paise=25, rate_percent=18, intra_state=False).igst_paise == 5  # 4.5 → 5
    assert compute_tax(taxable_paise=2, rate_percent=18, intra_state=False).igst_paise == 0  # 0.36 → 0
    assert half_up(5, 2) == 3 and half_up(-5, 2) == -3 and half_up(7, 3) == 2


def test_an_odd_half_paisa_rounds_both_halves_up():
    """25 paise at 18 %: IGST 4.5 → 5, each half 2.25 → 2, the pair a paisa less; ₹101 at 5 %:
    each half 252.5 → 253, the pair a paisa more. The halves are always equal."""
    intra = compute_tax(taxable_paise=25, rate_percent=18, intra_state=True)
    assert (intra.cgst_paise, intra.sgst_paise) == (2, 2)
    odd = compute_tax(taxable_paise=30, rate_percent=5, intra_state=True)  # 0.75 each → 1 + 1
    assert (odd.cgst_paise, odd.sgst_paise, odd.tax_paise) == (1, 1, 2)
    assert compute_tax(taxable_paise=30, rate_percent=5, intra_state=False).igst_paise == 2  # 1.5 → 2
    five = compute_tax(taxable_paise=10_100, rate_percent=5, intra_state=True)  # ₹101: 252.5 each → 253
    assert (five.cgst_paise, five.tax_paise) == (253, 506)
    assert compute_tax(taxable_paise=10_100, rate_percent=5, intra_state=False).igst_paise == 505


@given(taxable=paise, rate=rates)
def test_cgst_plus_sgst_is_the_igst_within_a_paisa(taxable, rate):
    intra = compute_tax(taxable_paise=taxable, rate_percent=rate, intra_state=True)
    inter = compute_tax(taxable_paise=taxable, rate_percent=rate, intra_state=False)
    assert intra.cgst_paise == intra.sgst_paise
    assert abs(intra.tax_paise - inter.igst_paise) <= 1
    assert (intra.igst_paise, inter.cgst_paise, inter.sgst_paise) == (0, 0, 0)


@given(taxable=paise, rate=rates, intra=st.booleans())
def test_total_is_taxable_plus_tax_exactly(taxable, rate, intra):
    tax = compute_tax(taxable_paise=taxable, rate_percent=rate, intra_state=intra)
    assert tax.total_paise == taxable + tax.cgst_paise + tax.sgst_paise + tax.igst_paise
    assert abs(tax.tax_paise * 100 - taxable * rate) <= 100  # within a paisa of the exact tax


@given(rupees=st.integers(min_value=1, max_value=10**8), rate=st.sampled_from([0, 12, 18, 28, 40]))
def test_whole_rupees_at_an_even_rate_never_round(rupees, rate):
    intra = compute_tax(taxable_paise=rupees * 100, rate_percent=rate, intra_state=True)
    inter = compute_tax(taxable_paise=rupees * 100, rate_percent=rate, intra_state=False)
    assert intra.tax_paise == inter.tax_paise == rupees * rate


def test_place_of_supply_is_the_buyers_gstin_state_else_the_address():
    assert place_of_supply(buyer_gstin=KARNATAKA_GSTIN, billing_state_code="27") == "29"
    assert place_of_supply(buyer_gstin=" 29aagcb7383j1z4 ", billing_state_code="27") == "29"
    assert place_of_supply(buyer_gstin=None, billing_state_code="27") == "27"
    assert place_of_supply(buyer_gstin="", billing_state_code=" 27 ") == "27"
    with pytest.raises(ValueError):
        place_of_supply(buyer_gstin=None, billing_state_code="28")  # retired code


def test_same_state_as_the_seller_is_intra_state():
    assert is_intra_state(place_of_supply="29", seller_state_code="29")
    assert not is_intra_state(place_of_supply="27", seller_state_code="29")


def test_negative_figures_are_refused():
    with pytest.raises(ValueError):
        compute_tax(taxable_paise=-1, rate_percent=18, intra_state=True)


# ---- credit notes: pro-rata reversal ------------------------------------------------------


def none_reversed(original: TaxBreakdown) -> TaxBreakdown:
    return TaxBreakdown(0, original.rate_percent, original.intra_state)


def add(a: TaxBreakdown, b: TaxBreakdown) -> TaxBreakdown:
    return TaxBreakdown(
        a.taxable_paise + b.taxable_paise,
        a.rate_percent,
        a.intra_state,
        a.cgst_paise + b.cgst_paise,
        a.sgst_paise + b.sgst_paise,
        a.igst_paise + b.igst_paise,
    )


def test_half_a_refund_reverses_half_the_tax():
    original = compute_tax(taxable_paise=50_000, rate_percent=18, intra_state=True)
    note = reverse_pro_rata(original=original, refund_paise=29_500, already_reversed=none_reversed(original))
    assert (note.taxable_paise, note.cgst_paise, note.sgst_paise, note.total_paise) == (25_000, 2_250, 2_250, 29_500)


def test_a_full_refund_in_pieces_reverses_exactly_what_was_charged():
    original = compute_tax(taxable_paise=50_000, rate_percent=18, intra_state=False)
    done = none_reversed(original)
    for refund in (10_001, 3, 20_000, 28_996):
        note = reverse_pro_rata(original=original, refund_paise=refund, already_reversed=done)
        assert note.total_paise == refund
        done = add(done, note)
    assert done == original


def test_a_one_paisa_refund_never_reverses_more_than_a_paisa():
    """At the paisa where both halves' shares round up, the later (SGST) gives way."""
    original = compute_tax(taxable_paise=10_000, rate_percent=18, intra_state=True)  # 100 + 9 + 9
    done = none_reversed(original)
    for _ in range(original.total_paise):
        note = reverse_pro_rata(original=original, refund_paise=1, already_reversed=done)
        assert note.total_paise == 1 and min(note.taxable_paise, note.cgst_paise, note.sgst_paise) >= 0
        done = add(done, note)
    assert done == original


def test_refunding_more_than_was_paid_is_refused():
    original = compute_tax(taxable_paise=50_000, rate_percent=18, intra_state=False)
    with pytest.raises(ValueError):
        reverse_pro_rata(original=original, refund_paise=59_001, already_reversed=none_reversed(original))
    with pytest.raises(ValueError):
        reverse_pro_rata(original=original, refund_paise=0, already_reversed=none_reversed(original))


@given(
    taxable=st.integers(min_value=1, max_value=10**9),
    rate=rates,
    intra=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=6),
    refund_all=st.booleans(),
)
def test_partial_refunds_never_reverse_more_than_was_charged(taxable, rate, intra, cuts, refund_all):
    original = compute_tax(taxable_paise=taxable, rate_percent=rate, intra_state=intra)
    done = none_reversed(original)
    for cut in cuts:
        left = original.total_paise - done.total_paise
        if left == 0:
            break
        refund = min(cut, left)
        note = reverse_pro_rata(original=original, refund_paise=refund, already_reversed=done)
        assert note.total_paise == refund
        assert min(note.taxable_paise, note.cgst_paise, note.sgst_paise, note.igst_paise) >= 0
        done = add(done, note)
        assert done.taxable_paise <= original.taxable_paise
        assert done.cgst_paise <= original.cgst_paise and done.sgst_paise <= original.sgst_paise
        assert done.igst_paise <= original.igst_paise
        # Pro rata: each tax reversed so far is its share of what was refunded so far, to a paisa.
        for reversed_, charged in ((done.cgst_paise, original.cgst_paise), (done.igst_paise, original.igst_paise)):
            assert abs(reversed_ * original.total_paise - charged * done.total_paise) <= 2 * original.total_paise
    if refund_all and done.total_paise < original.total_paise:
        rest = original.total_paise - done.total_paise
        done = add(done, reverse_pro_rata(original=original, refund_paise=rest, already_reversed=done))
        assert done == original
