"""An auto top-up with GST on (docs/gst.md): the rule's ₹500 is the credit; the debit is ₹590,
the pre-debit notice says so, and the credited debit gets its tax invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from billing_app.services import gst_invoices, metering, pricing
from billing_app.services.autotopup import debits
from tests.factories import gst_seller
from tests.integration.test_autotopup_debits import LEAD, advance, charged_and_settled, clock, debit_rows, notices, on
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app

RUPEE = 1_000_000


@pytest.fixture
def app(any_db, mailbox, monkeypatch) -> Iterator[LiveApp]:
    gst_seller(monkeypatch)
    with live_app(monkeypatch) as running:
        yield running


def test_the_debit_is_the_credit_plus_gst_and_is_invoiced(app):
    account = on(app, floor_micros=50 * RUPEE)
    org_id = account["org_id"]
    pricing.load_catalog()
    key = app.http.post(f"{app.url}/me/keys", json={"name": "ci"}, headers=account["headers"]).json()["key"]
    metering.record_usage(api_key=key, request_id="r1", model="sandbox-echo", prompt_tokens=0, completion_tokens=10**6)
    now = clock(app)
    assert debits.evaluate(org_id=org_id, now=now).debit is not None
    [debit] = debit_rows(org_id)
    assert (debit.amount_units, debit.amount_paise, debit.credits_micros) == (500, 59_000, 500 * RUPEE)
    [notice] = notices(org_id)
    assert notice["amount"] == "₹590" and notice["price_sentence"] == "₹500 + ₹90 GST = ₹590"

    charged_and_settled(app, org_id, advance(app, LEAD + timedelta(minutes=1)))
    [debit] = debit_rows(org_id)
    assert debit.status == "captured"
    [credit] = credits_for(org_id)
    assert credit.amount_micros == 500 * RUPEE and credit.description == "Auto top-up via Razorpay (₹590 incl. ₹90 GST)"
    [invoice] = gst_invoices.list_documents(org_id=org_id)
    assert (invoice.taxable_paise, invoice.tax_paise, invoice.total_paise) == (50_000, 9_000, 59_000)
    assert invoice.payment_id == credit.payment_id
    assert_books_balance()
