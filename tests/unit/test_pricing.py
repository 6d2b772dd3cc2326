"""Pricing rules as properties: cost = provider cost × (1 + markup), rounded up once to the
micro-unit; and the sandbox model's token counting."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.money import request_cost_micros
from billing_app.services import pricing, sandbox_llm

TOKENS = st.integers(min_value=0, max_value=10**9)
RATES = st.integers(min_value=0, max_value=pricing.MAX_RATE_MICROS)
MARKUP = st.integers(min_value=0, max_value=100)


def exact(prompt: int, completion: int, rate_in: int, rate_out: int, markup: int) -> Fraction:
    return Fraction(prompt * rate_in + completion * rate_out, 10**6) * Fraction(100 + markup, 100)


@given(TOKENS, TOKENS, RATES, RATES, MARKUP)
def test_cost_is_the_exact_cost_rounded_up_once(prompt, completion, rate_in, rate_out, markup):
    cost = request_cost_micros(
        prompt_tokens=prompt,
        completion_tokens=completion,
        input_micros_per_million=rate_in,
        output_micros_per_million=rate_out,
        markup_percent=markup,
    )
    true = exact(prompt, completion, rate_in, rate_out, markup)
    assert isinstance(cost, int)
    assert true <= cost < true + 1  # never undercharged, never more than one micro-unit over
    assert cost < 2**63  # fits the BIGINT columns even at 10⁹ + 10⁹ tokens at the highest rate


@given(TOKENS, TOKENS, st.integers(0, 10**6), RATES, RATES, MARKUP)
def test_cost_grows_with_tokens(prompt, completion, extra, rate_in, rate_out, markup):
    def cost(p: int, c: int) -> int:
        return request_cost_micros(
            prompt_tokens=p,
            completion_tokens=c,
            input_micros_per_million=rate_in,
            output_micros_per_million=rate_out,
            markup_percent=markup,
        )

    assert cost(prompt + extra, completion) >= cost(prompt, completion)
    assert cost(prompt, completion + extra) >= cost(prompt, completion)


@given(TOKENS, TOKENS, RATES, RATES, st.integers(0, 50), st.integers(0, 50))
def test_a_lower_markup_never_costs_more(prompt, completion, rate_in, rate_out, low, extra):
    def cost(markup: int) -> int:
        return request_cost_micros(
            prompt_tokens=prompt,
            completion_tokens=completion,
            input_micros_per_million=rate_in,
            output_micros_per_million=rate_out,
            markup_percent=markup,
        )

    assert cost(low) <= cost(low + extra)


@given(st.lists(st.tuples(TOKENS, TOKENS), min_size=2, max_size=20), RATES, RATES, MARKUP)
def test_rounding_is_per_request(requests, rate_in, rate_out, markup):
    """Each request is rounded on its own: n requests never cost less than their exact sum,
    and at most n micro-units more."""
    costs = [
        request_cost_micros(
            prompt_tokens=p,
            completion_tokens=c,
            input_micros_per_million=rate_in,
            output_micros_per_million=rate_out,
            markup_percent=markup,
        )
        for p, c in requests
    ]
    true = sum((exact(p, c, rate_in, rate_out, markup) for p, c in requests), Fraction(0))
    assert true <= sum(costs) < true + len(requests)


def test_known_costs():
    # sandbox-echo: ₹12.75 / ₹51.00 per million tokens; auto +10 %, tier +8 %.
    assert pricing.request_cost(
        prompt_tokens=1000, completion_tokens=500, input_micros_per_million=12_750_000,
        output_micros_per_million=51_000_000, mode="auto",
    ) == 42_075  # fmt: skip
    assert pricing.request_cost(
        prompt_tokens=1, completion_tokens=0, input_micros_per_million=12_750_000,
        output_micros_per_million=51_000_000, mode="tier",
    ) == 14  # 13.77 micros, rounded up  # fmt: skip
    assert pricing.request_cost(
        prompt_tokens=0, completion_tokens=0, input_micros_per_million=10**12,
        output_micros_per_million=10**12, mode="auto",
    ) == 0  # fmt: skip


def test_markups_come_from_settings(monkeypatch):
    from billing_app.context import reset_context

    monkeypatch.setenv("MARKUP_AUTO_PERCENT", "0")
    monkeypatch.setenv("MARKUP_TIER_PERCENT", "25")
    reset_context()
    try:
        assert (pricing.markup_percent("auto"), pricing.markup_percent("tier")) == (0, 25)
    finally:
        monkeypatch.undo()
        reset_context()
    assert (pricing.markup_percent("auto"), pricing.markup_percent("tier")) == (10, 8)


def test_the_catalog_file_is_valid_in_both_currencies():
    for currency in ("INR", "USD"):
        models = {m.model: m for m in pricing.read_catalog(currency=currency)}
        assert pricing.SANDBOX_MODEL in models
        assert all(0 < m.input_micros_per_million <= m.output_micros_per_million for m in models.values())


@pytest.mark.parametrize(
    "text,count",
    [("", 0), ("hi", 1), ("hi there", 2), ("Hello, world!", 4), ("internationalisation", 4), ("₹1,00,000", 6)],
)
def test_tokens_are_counted_from_the_text(text, count):
    assert sandbox_llm.count_tokens(text) == count
    assert "".join(sandbox_llm.tokens(text)) == text  # the pieces are the text, nothing lost


@given(st.text(max_size=200))
def test_tokenising_is_deterministic_and_lossless(text):
    pieces = sandbox_llm.tokens(text)
    assert "".join(pieces) == text
    assert sandbox_llm.tokens(text) == pieces


def test_the_sandbox_answers_deterministically_and_stops_at_max_tokens():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about Bengaluru"}]
    assert sandbox_llm.answer("sandbox-echo", messages, None) == ("Tell me about Bengaluru", "stop")
    assert sandbox_llm.answer("sandbox-echo", messages, 2) == ("Tell me", "length")
    assert sandbox_llm.answer("openai/gpt-4o", messages, None)[0].startswith("[openai/gpt-4o · sandbox] ")
    # 3 framing tokens per message + role + content, and 3 to prime the reply.
    # "Tell me about Bengaluru" is Tell · me · about · Bengal · uru.
    assert sandbox_llm.prompt_tokens(messages) == 3 + (3 + 1 + 3) + (3 + 1 + 5)
    parts = [{"role": "user", "content": [{"type": "text", "text": "Tell me about Bengaluru"}]}]
    assert sandbox_llm.answer("sandbox-echo", parts, None)[0] == "Tell me about Bengaluru"
