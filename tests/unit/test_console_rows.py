"""What the console's pages show of the console services' answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing_app.errors import NegativeBalance
from billing_app.money import AmountError
from billing_app.rows.console import figure_lines, rupees_text
from billing_app.services.console.overview import Figure, Overview, ReconcilerRun
from billing_app.state.console_money import below_zero_question, paise_of


@pytest.mark.parametrize(("paise", "text"), [(50000, "500"), (29950, "299.5"), (29905, "299.05"), (1, "0.01")])
def test_what_remains_goes_into_the_refund_input_as_rupees(paise: int, text: str):
    assert rupees_text(paise) == text
    assert paise_of(text) == paise


@pytest.mark.parametrize("typed", ["0", "-5", "12.345", "abc", ""])
def test_a_refund_amount_is_whole_paise_above_zero(typed: str):
    with pytest.raises(AmountError):
        paise_of(typed)


def test_the_below_zero_warning_drops_the_apis_instructions():
    warning = NegativeBalance(
        "Refunding ₹500.00 would leave Acme at −₹20.00. Send confirm_negative: true to refund anyway."
    )
    assert below_zero_question(warning) == "Refunding ₹500.00 would leave Acme at −₹20.00."


def test_every_figure_is_a_link_and_counts_read_as_words():
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    one = Figure("topups", 1, amount_paise=50000)
    overview = Overview(
        as_of=now,
        balances_owed=Figure("orgs_in_credit", 2, amount_micros=700_000_000),
        topups_today=one,
        topups_30_days=Figure("topups", 3, amount_paise=150000),
        refunds_today=Figure("refunds", 0, amount_micros=0),
        refunds_30_days=Figure("refunds", 1, amount_micros=200_000_000),
        active_orgs=Figure("active_orgs", 1),
        unpaid_orders=Figure("unpaid_orders", 0),
        webhooks_failed=Figure("webhooks_failed", 1),
        webhooks_unprocessed=Figure("webhooks_unprocessed", 0),
        reconciler=ReconcilerRun("reconciler", now, "vm:1:abc"),
        outbox_backlog=Figure("outbox_backlog", 0),
    )
    lines = {line.key: line for line in figure_lines(overview)}
    assert all(line.href.startswith("/console") for line in lines.values())
    assert (lines["topups-today"].value, lines["topups-today"].detail) == ("₹500.00", "1 payment")
    assert lines["topups-30"].detail == "3 payments"
    assert lines["refunds-30"].detail == "1 refund"
    assert (lines["balances-owed"].value, lines["balances-owed"].detail) == ("₹700.00", "2 orgs")
    assert lines["reconciler"].value == "05:30 PM IST"
    assert lines["reconciler"].detail == "04 Dec 2026 · vm:1:abc"
    assert lines["webhooks-failed"].href == "/console/attention#webhooks"
    assert lines["topups-today"].href == "/console/lists/topups?window=today"
    assert lines["refunds-30"].href == "/console/lists/refunds?window=30d"
    assert lines["balances-owed"].href == "/console/lists/orgs_in_credit"
    assert lines["outbox"].href == "/console/lists/outbox_backlog"
