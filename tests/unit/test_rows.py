"""The rows the pages show: pure functions from records to frozen dataclasses."""

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime

import pytest

from billing_app.models import ApiKey, LedgerEntry, ModelPrice
from billing_app.rows.history import deduction_row, entry_row, history_rows
from billing_app.rows.keys import key_row
from billing_app.rows.models import model_row
from billing_app.rows.receipt import ReceiptView, receipt_view
from billing_app.rows.usage import chart_point, totals_row
from billing_app.services.history import Deduction
from billing_app.services.receipts import Receipt
from billing_app.services.usage import DayUsage, Totals

NOON_IST = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def entry(kind: str, amount: int, payment_id: str | None = None, entry_id: int = 7) -> LedgerEntry:
    return LedgerEntry(
        id=entry_id,
        org_id=1,
        kind=kind,
        amount_micros=amount,
        balance_after_micros=150_000_000,
        description="what happened",
        payment_id=payment_id,
        created_at=NOON_IST,
    )


def test_a_top_up_is_a_green_credit_with_its_receipt():
    row = entry_row(entry("checkout", 50_000_000, "pay_123"), "INR")
    assert (row.type, row.amount, row.credit, row.balance_after) == ("Top-up", "+₹50.00", True, "₹150.00")
    assert row.receipt_url == "/billing/receipts/pay_123"
    assert row.date.startswith("02 Mar 2026")
    with pytest.raises(FrozenInstanceError):
        row.amount = "+₹1.00"  # type: ignore[misc]


def test_only_a_checkout_links_a_receipt():
    assert entry_row(entry("promo", 5_000_000, "pay_123"), "INR").receipt_url == ""
    assert entry_row(entry("manual", -2_500_000), "USD").amount == "−$2.50"
    assert not entry_row(entry("refund", -1), "INR").credit


def test_a_day_of_usage_is_a_debit_without_a_balance():
    day = Deduction(day=date(2026, 3, 1), at=NOON_IST, requests=3, tokens=1200, cost_micros=4_200_000)
    row = deduction_row(day, "INR")
    assert (row.type, row.kind, row.amount, row.credit, row.balance_after) == (
        "Usage",
        "deduction",
        "−₹4.20",
        False,
        "—",
    )
    assert row.date == "01 Mar 2026, whole day IST"
    assert row.description == "API usage: 3 requests, 1,200 tokens"
    rows = history_rows([entry("checkout", 1, "pay_1"), day], "INR")
    assert [r.kind for r in rows] == ["checkout", "deduction"]
    assert len({r.key for r in rows}) == 2


def test_a_key_row_says_never_used_and_no_limit():
    key = ApiKey(id=3, org_id=1, name="web", prefix="sk-abc", key_hash="h", created_at=NOON_IST)
    row = key_row(key, "INR")
    assert (row.id, row.prefix, row.last_used, row.budget, row.budget_input, row.revoked) == (
        3,
        "sk-abc…",
        "Never",
        "No limit",
        "",
        False,
    )
    limited = ApiKey(
        id=4, org_id=1, name="b", prefix="p", key_hash="h2", monthly_budget_micros=250_500_000, revoked_at=NOON_IST
    )
    row = key_row(limited, "USD")
    assert (row.budget, row.budget_input, row.revoked) == ("$250.50", "250.5", True)


def test_usage_totals_and_chart_points():
    totals = Totals(requests=1_23_456, prompt_tokens=10, completion_tokens=2_000, cost_micros=7_590_000)
    row = totals_row("web", totals, "INR", prefix="sk-abc…", revoked=True)
    assert (row.label, row.prefix, row.requests, row.completion, row.cost, row.revoked) == (
        "web",
        "sk-abc…",
        "1,23,456",
        "2,000",
        "₹7.59",
        True,
    )
    assert totals_row("sandbox-echo", totals, "INR").prefix == ""
    point = chart_point(DayUsage(day=date(2026, 3, 1), totals=totals))
    assert (point.day, point.spend, point.requests) == ("01 Mar", 7.59, 1_23_456)


def test_a_model_row_shows_rates_and_context():
    price = ModelPrice(
        model="sandbox-echo",
        display_name="Echo",
        provider="sandbox",
        input_micros_per_million=12_750_000,
        output_micros_per_million=51_000_000,
        context_window=128_000,
    )
    row = model_row(price, "INR")
    assert (row.context, row.input, row.output) == ("1,28,000 tokens", "₹12.75", "₹51.00")
    price.context_window = 0
    assert model_row(price, "INR").context == "—"


def test_a_receipt_leaves_out_what_it_does_not_have():
    paid = Receipt(
        receipt_number="RCPT-1",
        payment_id="pay_1",
        order_id="order_1",
        amount_paise=50_000,
        currency="INR",
        credit_currency="INR",
        credits_micros=500_000_000,
        bonus_micros=0,
        method="upi",
        method_detail="asha@upi",
        paid_at=NOON_IST,
        payer={"name": "Asha", "email": "asha@example.com", "contact": "+91 98765 43210"},
        billing_address={
            "name": "Acme",
            "line1": "1 MG Road",
            "line2": "",
            "city": "Bengaluru Urban",
            "state": "Karnataka",
            "state_code": "29",
            "pin": "560001",
            "gstin": None,
        },
        seller={"name": "Router Ltd", "address": "Pune", "gstin": ""},
        refunded_paise=0,
    )
    view = receipt_view(paid)
    assert (view.amount, view.credits, view.total_credits, view.method) == (
        "₹500.00",
        "₹500.00",
        "₹500.00",
        "UPI · asha@upi",
    )
    assert (view.bonus, view.gstin, view.refunded, view.seller_gstin) == ("", "", "", "")
    assert view.address_place == "Bengaluru Urban, Karnataka 560001"
    assert view.state == "Karnataka (GST state code 29)"
    assert ReceiptView().number == ""
