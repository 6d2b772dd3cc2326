"""The auto top-up rule's settings: whole amounts within the top-up limits, never above the
mandate's maximum or the automatic-debit ceiling, a floor, a monthly cap, the method's lead
time, and the pause after each debit — each refusal naming its field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.context import reset_context
from billing_app.errors import InvalidRequest
from billing_app.services.autotopup import CEILING_PAISE, Method, lead_time_for, make_rule
from billing_app.services.topup_rules import TopupRules

RUPEE = 1_000_000
BETA = TopupRules("INR", 100, 1000, (100, 250, 500, 1000), 8500)
WIDE = TopupRules("INR", 100, 50_000, (), 8500)  # an operator who raised the limits
USD = TopupRules("USD", 5, 500, (5, 10, 25), 8500)
HOUR = timedelta(hours=1)


def rule(**changes):
    fields = {"amount": 500, "floor_micros": 200 * RUPEE, "monthly_cap": 2000, "method": "upi", "limits": BETA}
    return make_rule(**{**fields, **changes})


def refused_field(**changes) -> str:
    with pytest.raises(InvalidRequest) as refused:
        rule(**changes)
    return refused.value.details["field"]


def test_a_rule_in_micros_and_paise_with_the_methods_lead_time(monkeypatch):
    monkeypatch.delenv("AUTO_TOPUP_LEAD_UPI_HOURS", raising=False)
    reset_context()
    made = rule()
    assert (made.amount_micros, made.amount_paise) == (500 * RUPEE, 50_000)
    assert (made.floor_micros, made.monthly_cap_micros) == (200 * RUPEE, 2000 * RUPEE)
    assert made.method == Method.UPI and made.lead_time == 25 * HOUR and made.cooldown == HOUR
    assert rule(method="card").lead_time == 37 * HOUR


def test_lead_times_come_from_the_configuration(monkeypatch):
    monkeypatch.setenv("AUTO_TOPUP_LEAD_UPI_HOURS", "30")
    monkeypatch.setenv("AUTO_TOPUP_LEAD_CARD_HOURS", "48")
    reset_context()
    try:
        assert lead_time_for(Method.UPI) == 30 * HOUR
        assert lead_time_for(Method.CARD) == 48 * HOUR
    finally:
        monkeypatch.undo()
        reset_context()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"amount": 99}, "amount"),
        ({"amount": 1001}, "amount"),
        ({"amount": 250.5}, "amount"),
        ({"amount": "500"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 20_000, "limits": WIDE}, "amount"),  # above the automatic-debit ceiling
        ({"amount": 500, "mandate_max_paise": 40_000}, "amount"),
        ({"floor_micros": -1}, "floor"),
        ({"floor_micros": 1.5}, "floor"),
        ({"monthly_cap": 499}, "monthly_cap"),
        ({"monthly_cap": 10**12}, "monthly_cap"),
        ({"method": "netbanking"}, "method"),
        ({"cooldown": -HOUR}, "cooldown"),
        ({"cooldown": timedelta(days=8)}, "cooldown"),
    ],
)
def test_each_refusal_names_its_field(changes, field):
    assert refused_field(**changes) == field


def test_the_ceiling_and_the_mandate_bound_what_is_charged():
    assert rule(amount=15_000, monthly_cap=15_000, limits=WIDE).amount_paise == CEILING_PAISE
    assert rule(amount=500, mandate_max_paise=50_000).amount_paise == 50_000
    # In USD mode the ceiling is on the rupees charged: $200 at ₹85 is ₹17,000.
    assert rule(amount=100, monthly_cap=100, limits=USD).amount_paise == 850_000
    assert refused_field(amount=200, monthly_cap=200, limits=USD) == "amount"


def test_refusals_say_what_to_do():
    with pytest.raises(InvalidRequest) as refused:
        rule(amount=20_000, limits=WIDE)
    assert "₹15,000" in refused.value.message
    with pytest.raises(InvalidRequest) as refused:
        rule(amount=2000, limits=WIDE, mandate_max_paise=100_000)
    assert refused.value.message == "Your mandate allows debits of at most ₹1,000.00."


@given(amount=st.integers(min_value=1, max_value=100_000), mandate=st.none() | st.integers(0, 3_000_000))
def test_no_accepted_rule_charges_above_the_ceiling_or_the_mandate(amount, mandate):
    try:
        made = rule(amount=amount, monthly_cap=100_000, limits=WIDE, mandate_max_paise=mandate, lead_time=25 * HOUR)
    except InvalidRequest:
        return
    assert made.amount_paise <= CEILING_PAISE
    assert mandate is None or made.amount_paise <= mandate
