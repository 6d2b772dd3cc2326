"""GST with SELLER_GSTIN set, end to end over real HTTP and the Razorpay sandbox: a ₹500 top-up
is ₹590 at Razorpay and credits ₹500; its crediting issues a numbered tax invoice (B2C or B2B
from the billing address); a refund issues a credit note reversing the tax pro rata; numbers
are consecutive under concurrent settlements and restart each financial year (docs/gst.md)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.gst_documents import CreditNote, TaxInvoice, particulars
from billing_app.gst_serials import DocumentType
from billing_app.ist import IST
from billing_app.models import GstSeries, PaymentOrder, TaxInvoiceRecord
from billing_app.services import gst_invoices, settlement
from billing_app.services.actors import Actor, acting_as
from billing_app.services.gst_issue import take_number
from billing_app.services.settlement import settle_order
from billing_app.services.topup_rules import quote_topup
from tests.factories import (
    ADDRESS,
    BUYER_GSTIN,
    MAHARASHTRA_ADDRESS,
    SELLER_GSTIN,
    gst_seller,
    paid_order,
    paying_account,
    user_id_of,
)
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app, wait_until

START = 100_000_000  # the signup credit
RUPEE = 1_000_000


@pytest.fixture
def gst_on(monkeypatch: pytest.MonkeyPatch) -> None:
    gst_seller(monkeypatch)


@pytest.fixture
def app(any_db, gst_on, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


def settled(app: LiveApp, account: dict[str, Any], amount: int = 500) -> str:
    """A ₹`amount` top-up paid in the sandbox and confirmed by the checkout callback: its payment id."""
    order_id, result = paid_order(app, account, amount)
    assert app.verify(account, order_id, result).status_code == 200
    return str(result["razorpay_payment_id"])


def invoice_of(org_id: int, payment_id: str) -> TaxInvoice:
    serial = gst_invoices.invoice_serial_for_payment(org_id=org_id, payment_id=payment_id)
    assert serial is not None
    document = gst_invoices.get_document(org_id=org_id, serial=serial)
    assert isinstance(document, TaxInvoice)
    return document


def test_a_500_rupee_top_up_is_590_at_razorpay_and_credits_500(app):
    account = paying_account(app)
    quote = quote_topup(amount=500, org_id=account["org_id"])
    assert quote.gst is not None and quote.gst.sentence == "₹500 + ₹90 GST = ₹590"
    assert (quote.taxable_paise, quote.tax_paise, quote.amount_paise) == (50_000, 9_000, 59_000)
    order = app.new_order(account, 500)
    assert order["amount_paise"] == 59_000  # what checkout and Razorpay charge
    paid = app.pay(order["order_id"])
    assert app.verify(account, order["order_id"], paid).json()["balance_micros"] == START + 500 * RUPEE
    [entry] = credits_for(account["org_id"])
    assert entry.amount_micros == 500 * RUPEE
    assert entry.description == "Credit top-up via Razorpay (₹590 incl. ₹90 GST)"  # what was paid
    assert_books_balance()


def test_the_invoice_carries_every_particular_of_the_settled_payment(app):
    account = paying_account(app)  # Karnataka, no GSTIN: a B2C buyer in the seller's state
    payment_id = settled(app, account)
    invoice = invoice_of(account["org_id"], payment_id)
    today = datetime.now(IST).date()
    assert invoice.serial.startswith("INV-") and invoice.serial.endswith("-000001")
    assert invoice.issued_on == today
    assert (invoice.supplier.name, invoice.supplier.gstin, invoice.supplier.state_code) == (
        "BharatRouter Technologies Pvt Ltd",
        SELLER_GSTIN,
        "29",
    )
    assert invoice.recipient.name == ADDRESS["name"] and invoice.recipient.gstin is None
    assert invoice.recipient.address == "12 MG Road, Bengaluru Urban 560001, Karnataka"
    assert invoice.place_of_supply == "29" and invoice.sac == "998315"
    tax = invoice.tax
    assert (tax.taxable_paise, tax.rate_percent, tax.intra_state) == (50_000, 18, True)
    assert (tax.cgst_paise, tax.sgst_paise, tax.igst_paise, tax.total_paise) == (4_500, 4_500, 0, 59_000)
    printed = dict(particulars(invoice))
    assert printed["Recipient State"] == "Karnataka (29)" and printed["Place of supply"] == "Karnataka (29)"
    assert printed["Reverse charge"] == "No" and printed["Payment"] == payment_id
    assert printed["CGST @ 9%"] == printed["SGST @ 9%"] == "₹45.00" and "Recipient GSTIN" not in printed
    assert printed["Total"] == "₹590.00" and printed["Total in words"] == "Rupees Five Hundred Ninety Only"
    [listed] = gst_invoices.list_documents(org_id=account["org_id"])
    assert (listed.serial, listed.total_paise, listed.tax_paise, listed.payment_id) == (
        invoice.serial,
        59_000,
        9_000,
        payment_id,
    )


def test_a_registered_buyer_in_another_state_gets_a_b2b_igst_invoice(app):
    account = app.signup("ravi@example.com")
    response = app.http.put(f"{app.url}/me/billing/address", json=MAHARASHTRA_ADDRESS, headers=account["headers"])
    assert response.status_code == 200, response.text
    payment_id = settled(app, account)
    invoice = invoice_of(account["org_id"], payment_id)
    assert invoice.recipient.gstin == BUYER_GSTIN and invoice.place_of_supply == "27"
    assert (invoice.tax.intra_state, invoice.tax.igst_paise, invoice.tax.cgst_paise) == (False, 9_000, 0)
    printed = dict(particulars(invoice))
    assert printed["Recipient GSTIN"] == BUYER_GSTIN and printed["IGST @ 18%"] == "₹90.00"
    assert printed["Place of supply"] == "Maharashtra (27)"


def test_an_unregistered_buyer_in_another_state_pays_igst_without_a_gstin(app):
    account = app.signup("meera@example.com")
    unregistered = {**MAHARASHTRA_ADDRESS, "name": "Meera Iyer", "gstin": None}
    response = app.http.put(f"{app.url}/me/billing/address", json=unregistered, headers=account["headers"])
    assert response.status_code == 200, response.text
    invoice = invoice_of(account["org_id"], settled(app, account))
    assert invoice.recipient.gstin is None and invoice.place_of_supply == "27"
    assert (invoice.tax.intra_state, invoice.tax.igst_paise, invoice.tax.total_paise) == (False, 9_000, 59_000)
    assert "Recipient GSTIN" not in dict(particulars(invoice))


def test_only_the_system_and_staff_read_a_months_documents(app):
    account = paying_account(app)
    settled(app, account)
    today = datetime.now(IST).date()
    assert len(gst_invoices.month_documents(year=today.year, month=today.month).invoices) == 1  # the CLI
    person = Actor(user_id=user_id_of(account["email"]), kind="user")
    with acting_as(person), pytest.raises(NotFound):
        gst_invoices.month_documents(year=today.year, month=today.month)


def test_an_issued_invoice_never_changes_with_the_address(app):
    account = paying_account(app)
    payment_id = settled(app, account)
    before = invoice_of(account["org_id"], payment_id)
    response = app.http.put(f"{app.url}/me/billing/address", json=MAHARASHTRA_ADDRESS, headers=account["headers"])
    assert response.status_code == 200, response.text
    assert invoice_of(account["org_id"], payment_id) == before


def test_another_orgs_document_is_not_found(app):
    mine, theirs = paying_account(app), paying_account(app)
    serial = invoice_of(mine["org_id"], settled(app, mine)).serial
    with pytest.raises(NotFound):
        gst_invoices.get_document(org_id=theirs["org_id"], serial=serial)
    with pytest.raises(NotFound):
        gst_invoices.get_document(org_id=mine["org_id"], serial="INV-2627-00001")  # not a spelling we write


def test_a_payment_priced_before_the_gstin_keeps_its_receipt(app):
    account = paying_account(app)
    order_id, result = paid_order(app, account)
    with write_session() as session:  # as if created before SELLER_GSTIN was set
        order = session.exec(select(PaymentOrder).where(col(PaymentOrder.razorpay_order_id) == order_id)).one()
        order.gst_taxable_paise = order.gst_tax_paise = order.gst_rate_percent = None
        order.gst_place_of_supply = None
        session.add(order)
    assert app.verify(account, order_id, result).status_code == 200
    payment_id = result["razorpay_payment_id"]
    assert gst_invoices.invoice_serial_for_payment(org_id=account["org_id"], payment_id=payment_id) is None
    assert gst_invoices.list_documents(org_id=account["org_id"]) == []


def test_refunds_issue_credit_notes_reversing_the_tax_pro_rata(app):
    from billing_app.integrations.razorpay_gateway import get_gateway

    account = paying_account(app)
    payment_id = settled(app, account)
    invoice = invoice_of(account["org_id"], payment_id)
    client = get_gateway()._client()
    client.payment.refund(payment_id, {"amount": 20_000})  # ₹200 of ₹590
    wait_until(lambda: len(gst_invoices.list_documents(org_id=account["org_id"])) == 2, what="the credit note")
    client.payment.refund(payment_id, {"amount": 39_000})  # the rest
    wait_until(lambda: len(gst_invoices.list_documents(org_id=account["org_id"])) == 3, what="the second note")
    newest, older, first = gst_invoices.list_documents(org_id=account["org_id"])
    assert first.serial == invoice.serial and {newest.against_serial, older.against_serial} == {invoice.serial}
    notes = [gst_invoices.get_document(org_id=account["org_id"], serial=row.serial) for row in (older, newest)]
    assert all(isinstance(note, CreditNote) for note in notes)
    one, two = notes
    assert isinstance(one, CreditNote) and isinstance(two, CreditNote)
    assert one.serial.endswith("-000001") and two.serial.endswith("-000002") and one.serial.startswith("CRN-")
    assert one.original_serial == invoice.serial and one.original_issued_on == invoice.issued_on
    # ₹200 of ₹590: each 9 % tax reversed 45 × 200/590 = ₹15.254… → ₹15.25; the rest is taxable.
    assert (one.tax.cgst_paise, one.tax.sgst_paise, one.tax.taxable_paise, one.tax.total_paise) == (
        1_525,
        1_525,
        16_950,
        20_000,
    )
    # Together the notes reverse exactly what the invoice charged.
    assert one.tax.cgst_paise + two.tax.cgst_paise == invoice.tax.cgst_paise
    assert one.tax.sgst_paise + two.tax.sgst_paise == invoice.tax.sgst_paise
    assert one.tax.taxable_paise + two.tax.taxable_paise == invoice.tax.taxable_paise
    printed = dict(particulars(two))
    assert printed["Against invoice"] == invoice.serial and printed["Total"] == "₹390.00"
    wait_until(lambda: len(credits_for(account["org_id"], "refund")) == 2, what="both refunds debited")
    refunds = credits_for(account["org_id"], "refund")
    # Billing's history links each refund row to its note, found by the ledger entry's refund id.
    by_refund = gst_invoices.credit_note_serials_for_refunds(
        org_id=account["org_id"], refund_ids=[str(r.external_ref) for r in refunds]
    )
    assert sorted(by_refund.values()) == sorted([one.serial, two.serial]) and len(by_refund) == 2
    assert app.billing(account)["balance_micros"] == START  # all ₹500 of credit taken back
    assert_books_balance()


def test_a_rolled_back_number_is_taken_again(any_db):
    with write_session() as session:
        assert take_number(session, DocumentType.INVOICE, 2026) == 1
    with pytest.raises(RuntimeError), write_session() as session:
        assert take_number(session, DocumentType.INVOICE, 2026) == 2
        raise RuntimeError("the credit failed")
    with write_session() as session:
        assert take_number(session, DocumentType.INVOICE, 2026) == 2
        assert take_number(session, DocumentType.CREDIT_NOTE, 2026) == 1  # its own series
        assert take_number(session, DocumentType.INVOICE, 2027) == 1  # a new year starts over


def test_fifty_concurrent_settlements_number_consecutively(app):
    accounts = [paying_account(app) for _ in range(5)]
    app.faults(webhook_drop=True)  # nothing settles until the threads below do
    orders = [paid_order(app, accounts[i % 5])[0] for i in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda order_id: settle_order(razorpay_order_id=order_id), orders))
    assert all(result.status == "paid" and result.credited_now for result in results)
    with read_session() as session:
        numbers = sorted(session.exec(select(TaxInvoiceRecord.number)).all())
        [series] = session.exec(select(GstSeries)).all()
    assert numbers == list(range(1, 51)) and series.last_number == 50
    assert_books_balance()


def test_the_series_restarts_at_the_financial_year_boundary(app, monkeypatch):
    account = paying_account(app)
    app.faults(webhook_drop=True)
    orders = [paid_order(app, account)[0] for _ in range(4)]
    last_minute = datetime(2027, 3, 31, 23, 59, tzinfo=IST)
    new_year = datetime(2027, 4, 1, 0, 0, tzinfo=IST)
    serials = []
    for order_id, moment in zip(orders, (last_minute, last_minute, new_year, new_year), strict=True):
        monkeypatch.setattr(settlement, "utcnow", lambda moment=moment: moment)
        payment_id = settle_order(razorpay_order_id=order_id).payment_id
        assert payment_id is not None
        invoice = invoice_of(account["org_id"], payment_id)
        serials.append((invoice.serial, invoice.issued_on))
    assert serials == [
        ("INV-2627-000001", date(2027, 3, 31)),
        ("INV-2627-000002", date(2027, 3, 31)),
        ("INV-2728-000001", date(2027, 4, 1)),
        ("INV-2728-000002", date(2027, 4, 1)),
    ]
    month = gst_invoices.month_documents(year=2027, month=3)
    assert [invoice.serial for invoice in month.invoices] == ["INV-2627-000001", "INV-2627-000002"]
