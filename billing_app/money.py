"""Money: integer micro-units of the credit currency, and integer paise for Razorpay.

1 ₹ (or 1 $) of credit = 1,000,000 micros. Never a float anywhere on a money path;
every conversion between the two units lives here, with tests.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from babel.numbers import format_currency, get_currency_symbol

Currency = Literal["INR", "USD"]

MICROS_PER_UNIT = 1_000_000
PAISE_PER_RUPEE = 100
TOKENS_PER_MILLION = 1_000_000

# Far beyond any balance; keeps Decimal arithmetic exact (28 significant digits).
MAX_UNITS = 10**15

_LOCALE = {"INR": "en_IN", "USD": "en_US"}
_TWO_PLACES = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")  # ASCII digits only


class AmountError(ValueError):
    """Text that is not an amount of money."""


def units_to_micros(units: int) -> int:
    return units * MICROS_PER_UNIT


def micros_to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS_PER_UNIT


def parse_micros(text: str | int | Decimal) -> int:
    """Plain decimal text ("12.5", "1,000", "-3") → micros. More than 6 decimals is refused,
    and so are other scripts' digits ("٥٠٠")."""
    plain = str(text).replace(",", "").strip()
    if not _PLAIN_DECIMAL.match(plain):  # no exponents, NaN or Infinity
        raise AmountError(f"{text!r} is not an amount")
    value = Decimal(plain)
    if abs(value) >= MAX_UNITS:
        raise AmountError(f"{text!r} is too large")
    micros = value * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise AmountError(f"{text!r} has more than 6 decimal places")
    return int(micros)


def parse_typed_amount(text: str) -> int:
    """What a person types in an amount field ("₹1,000", "250.50") → micros. Raises AmountError."""
    return parse_micros(text.strip().lstrip("₹$").strip())


def plain_amount(micros: int) -> str:
    """500000000 → "500", 250500000 → "250.5": an amount as it goes back into an input."""
    return format(micros_to_decimal(micros).normalize(), "f")


def parse_whole_units(text: str | int | float) -> int:
    """A top-up amount: a whole number of currency units (500, "500", 500.0), or AmountError."""
    if isinstance(text, bool):
        raise AmountError("not an amount")
    if isinstance(text, float):
        if not text.is_integer():  # 250.5, inf, nan
            raise AmountError("Top-ups are whole amounts only")
        text = int(text)
    micros = parse_micros(text)
    if micros % MICROS_PER_UNIT:
        raise AmountError("Top-ups are whole amounts only")
    return micros // MICROS_PER_UNIT


def format_money(micros: int, currency: Currency | str = "INR") -> str:
    """₹1,00,000.00 / $1,000.00 — half-up to 2 decimals, grouped by Babel."""
    value = micros_to_decimal(micros).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)  # never "-₹0.00"
    return format_currency(value, currency, locale=_LOCALE.get(currency, "en_IN"))


def currency_symbol(currency: Currency | str) -> str:
    """₹ / $: the symbol Babel writes in `format_money`, for labels and input prefixes."""
    return get_currency_symbol(currency, locale=_LOCALE.get(currency, "en_IN"))


def format_paise(paise: int) -> str:
    """Razorpay amounts are always INR paise."""
    return format_money(paise * (MICROS_PER_UNIT // PAISE_PER_RUPEE), "INR")


def format_rupees(paise: int) -> str:
    """INR paise without decimals when they are whole (₹590, ₹169.50), as format_units."""
    return format_units(paise * (MICROS_PER_UNIT // PAISE_PER_RUPEE), "INR")


def format_units(micros: int, currency: Currency | str = "INR") -> str:
    """A whole-unit amount without decimals when it has none (₹500, ₹500.50)."""
    text = format_money(micros, currency)
    return text[:-3] if text.endswith(".00") else text


def topup_paise(units: int, currency: Currency | str, usd_inr_rate_paise: int) -> int:
    """What Razorpay charges (INR paise) for a top-up of `units` credit-currency units."""
    if currency == "INR":
        return units * PAISE_PER_RUPEE
    return units * usd_inr_rate_paise


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def request_cost_micros(
    *,
    prompt_tokens: int,
    completion_tokens: int,
    input_micros_per_million: int,
    output_micros_per_million: int,
    markup_percent: int,
) -> int:
    """Provider cost × (1 + markup), rounded up once to the micro-unit."""
    provider = prompt_tokens * input_micros_per_million + completion_tokens * output_micros_per_million
    return ceil_div(provider * (100 + markup_percent), 100 * TOKENS_PER_MILLION)
