"""Labels and amount inputs show the org's currency symbol, as Babel writes it in amounts."""

import pytest

from billing_app.money import currency_symbol, format_money


@pytest.mark.parametrize(("currency", "symbol"), [("INR", "₹"), ("USD", "$")])
def test_the_symbol_is_the_one_amounts_are_written_with(currency, symbol):
    assert currency_symbol(currency) == symbol
    assert format_money(1_000_000, currency).startswith(symbol)


def test_pages_take_the_symbol_from_the_session_not_a_literal():
    from billing_app.pages.keys import keys_page
    from billing_app.pages.settings import settings_page
    from billing_app.pages.usage import usage_page

    for page in (keys_page, usage_page, settings_page):
        rendered = str(page())
        assert "currency_symbol" in rendered
        assert "₹" not in rendered, page.__name__
