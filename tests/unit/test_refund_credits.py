"""The credits a refund takes back: pro rata to what was paid, and cumulative, so refunds that
add up to the payment take back exactly the credits it bought. With GST on top the price is
₹590 for ₹500 of credit, so a part of the payment is rarely a whole number of micros."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from billing_app.models import PaymentOrder
from billing_app.services.refunds import refund_credits


def order(paid: int, credits: int) -> PaymentOrder:
    return PaymentOrder(org_id=1, receipt="r", amount_units=1, amount_paise=paid, credits_micros=credits)


def test_two_refunds_of_a_590_rupee_top_up_take_back_exactly_500_rupees():
    top_up = order(59_000, 500_000_000)
    first = refund_credits(order=top_up, refund_paise=20_000)
    second = refund_credits(order=top_up, refund_paise=39_000, refunded_before=20_000)
    assert first == 169_491_525  # ₹200 of ₹590, rounded down
    assert first + second == 500_000_000


@given(
    paid=st.integers(min_value=1, max_value=10**9),
    credits=st.integers(min_value=0, max_value=10**13),
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=8),
)
def test_refunds_of_the_whole_payment_take_back_exactly_its_credits(paid, credits, cuts):
    points = sorted({0, paid, *(int(paid * cut) for cut in cuts)})
    top_up = order(paid, credits)
    taken = [
        refund_credits(order=top_up, refund_paise=after - before, refunded_before=before)
        for before, after in itertools.pairwise(points)
    ]
    assert sum(taken) == credits
    for (before, after), part in zip(itertools.pairwise(points), taken, strict=True):
        share = credits * (after - before) / paid
        assert share - 1 < part < share + 1  # never more than a micro off its share
