from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.money import (
    MICROS_PER_UNIT,
    AmountError,
    format_money,
    format_units,
    parse_micros,
    parse_typed_amount,
    parse_whole_units,
    plain_amount,
    request_cost_micros,
    topup_paise,
)


def test_inr_uses_indian_grouping():
    assert format_money(100_000 * MICROS_PER_UNIT, "INR") == "₹1,00,000.00"
    assert format_money(12_34_567_890_000, "INR") == "₹12,34,567.89"


def test_usd_uses_western_grouping():
    assert format_money(1_000 * MICROS_PER_UNIT, "USD") == "$1,000.00"


def test_display_rounds_half_up_to_two_decimals():
    assert format_money(5_000, "INR") == "₹0.01"  # 0.005 → 0.01 (half-up, not banker's)
    assert format_money(4_999, "INR") == "₹0.00"
    assert format_money(-5_000, "INR") == "-₹0.01"
    assert format_money(-1, "INR") == "₹0.00"  # never "-₹0.00"


def test_whole_amounts_drop_the_decimals():
    assert format_units(100 * MICROS_PER_UNIT, "INR") == "₹100"
    assert format_units(850_500_000, "INR") == "₹850.50"


@pytest.mark.parametrize(
    "text", ["250.5", "100.01", "abc", "", "NaN", "Infinity", "1e3", "1e400000", "99999999999999999"]
)
def test_top_up_amounts_must_be_whole(text):
    with pytest.raises(AmountError):
        parse_whole_units(text)


def test_booleans_are_not_amounts():
    with pytest.raises(AmountError):
        parse_whole_units(True)  # type: ignore[arg-type]


def test_parse_whole_units_accepts_grouping_and_spaces():
    assert parse_whole_units(" 1,000 ") == 1000
    assert parse_whole_units(500) == 500
    assert parse_whole_units("500.000") == 500


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_micros_round_trip_through_decimal_text(micros):
    text = str(Decimal(micros) / MICROS_PER_UNIT)
    assert parse_micros(text) == micros


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_formatted_value_is_within_half_a_paisa(micros):
    text = format_money(micros, "INR").replace("₹", "").replace(",", "")
    shown = Decimal(text)
    assert abs(shown * MICROS_PER_UNIT - micros) <= 5_000


def test_more_than_six_decimals_is_refused():
    with pytest.raises(AmountError):
        parse_micros("0.0000001")


def test_topup_paise_in_inr_and_usd():
    assert topup_paise(500, "INR", 8500) == 50_000
    assert topup_paise(10, "USD", 8500) == 85_000  # $10 at ₹85.00


tokens = st.integers(min_value=0, max_value=10**9)
rates = st.integers(min_value=0, max_value=10**9)  # micros per million tokens
markups = st.integers(min_value=0, max_value=100)


@given(tokens, rates, markups)
def test_cost_never_decreases_with_more_tokens(prompt, rate, markup):
    def cost(n):
        return request_cost_micros(
            prompt_tokens=n,
            completion_tokens=0,
            input_micros_per_million=rate,
            output_micros_per_million=0,
            markup_percent=markup,
        )

    assert cost(prompt + 1) >= cost(prompt)


def test_markup_examples():
    # 1M input tokens at ₹10/M with auto (+10 %) → ₹11; one token → rounded up to 11 micros
    assert (
        request_cost_micros(
            prompt_tokens=10**6,
            completion_tokens=0,
            input_micros_per_million=10 * MICROS_PER_UNIT,
            output_micros_per_million=0,
            markup_percent=10,
        )
        == 11 * MICROS_PER_UNIT
    )
    assert (
        request_cost_micros(
            prompt_tokens=1,
            completion_tokens=0,
            input_micros_per_million=10 * MICROS_PER_UNIT,
            output_micros_per_million=0,
            markup_percent=10,
        )
        == 11
    )


def test_typed_amounts_may_carry_the_currency_sign_and_go_back_into_inputs_plain():
    assert parse_typed_amount(" ₹1,000 ") == 1_000 * MICROS_PER_UNIT
    assert parse_typed_amount("250.50") == 250_500_000
    with pytest.raises(AmountError):
        parse_typed_amount("lots")
    assert plain_amount(500 * MICROS_PER_UNIT) == "500"
    assert plain_amount(250_500_000) == "250.5"


@given(st.integers(min_value=0, max_value=10**15))
def test_a_plain_amount_reads_back_as_the_same_micros(micros):
    assert parse_typed_amount(plain_amount(micros)) == micros
