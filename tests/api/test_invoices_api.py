"""GET /me/billing/invoices, …/invoices/{number}[.pdf] and …/credit-notes/{number}[.pdf]: a
customer reads and downloads their GST documents over the REST API, on SQLite and PostgreSQL,
with payments made in the Razorpay sandbox (docs/gst.md)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from billing_app.integrations.razorpay_gateway import get_gateway
from tests.api.conftest import assert_error
from tests.factories import BUYER_GSTIN, MAHARASHTRA_ADDRESS, SELLER_GSTIN, gst_seller, paid_order, paying_account
from tests.payments_support import LiveApp, live_app, wait_until


def gst_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    gst_seller(monkeypatch)


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    gst_settings(monkeypatch)
    with live_app(monkeypatch) as running:
        yield running


def settled(app: LiveApp, account: dict[str, Any], amount: int = 500) -> str:
    order_id, result = paid_order(app, account, amount)
    assert app.verify(account, order_id, result).status_code == 200
    return str(result["razorpay_payment_id"])


def get(app: LiveApp, account: dict[str, Any], path: str):  # type: ignore[no-untyped-def]
    return app.http.get(f"{app.url}{path}", headers=account["headers"])


def documents(app: LiveApp, account: dict[str, Any]) -> dict[str, Any]:
    response = get(app, account, "/me/billing/invoices")
    assert response.status_code == 200, response.text
    return response.json()


def pdf_pages_and_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_a_karnataka_buyer_lists_reads_and_downloads_a_cgst_sgst_invoice(app):
    account = paying_account(app)  # Karnataka, no GSTIN
    assert documents(app, account) == {"invoices": [], "credit_notes": []}
    payment_id = settled(app, account)

    [line] = documents(app, account)["invoices"]
    assert (line["taxable_paise"], line["tax_paise"], line["total_paise"], line["currency"]) == (
        50_000,
        9_000,
        59_000,
        "INR",
    )
    assert line["payment_id"] == payment_id and line["issued_at"].endswith("+05:30")
    serial = line["serial"]
    assert re.fullmatch(r"INV-\d{4}-000001", serial)

    invoice = get(app, account, f"/me/billing/invoices/{serial}").json()
    assert invoice["kind"] == "invoice" and invoice["serial"] == serial
    assert (invoice["intra_state"], invoice["cgst_paise"], invoice["sgst_paise"], invoice["igst_paise"]) == (
        True,
        4_500,
        4_500,
        0,
    )
    assert invoice["supplier"]["gstin"] == SELLER_GSTIN and invoice["recipient"]["gstin"] is None
    assert invoice["recipient"]["state"] == invoice["place_of_supply_state"] == "Karnataka (29)"
    assert invoice["reverse_charge"] is False and invoice["sac"] == "998315"
    assert invoice["total_in_words"] == "Rupees Five Hundred Ninety Only"
    printed = {row["label"]: row["value"] for row in invoice["particulars"]}
    assert printed["CGST @ 9%"] == printed["SGST @ 9%"] == "₹45.00" and printed["Total"] == "₹590.00"
    assert printed["Reverse charge"] == "No" and "IGST @ 18%" not in printed

    response = get(app, account, invoice["pdf_path"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{serial}.pdf"'
    pages, text = pdf_pages_and_text(response.content)
    assert pages == 1
    for label, value in printed.items():
        assert value in text, f"{label}: {value!r} is not in the PDF"

    receipt = get(app, account, f"/me/billing/receipts/{payment_id}").json()  # the receipt names its invoice
    assert receipt["tax_invoice"] == serial and receipt["note"].endswith(f"Its tax invoice is {serial}.")


def test_a_registered_maharashtra_buyer_gets_igst(app):
    account = app.signup("ravi@example.com")
    assert app.http.put(
        f"{app.url}/me/billing/address", json=MAHARASHTRA_ADDRESS, headers=account["headers"]
    ).is_success
    settled(app, account)
    [line] = documents(app, account)["invoices"]
    invoice = get(app, account, f"/me/billing/invoices/{line['serial']}").json()
    assert (invoice["intra_state"], invoice["igst_paise"], invoice["cgst_paise"], invoice["total_paise"]) == (
        False,
        9_000,
        0,
        59_000,
    )
    assert invoice["recipient"]["gstin"] == BUYER_GSTIN and invoice["place_of_supply"] == "27"
    pages, text = pdf_pages_and_text(get(app, account, invoice["pdf_path"]).content)
    assert pages == 1 and "IGST @ 18%" in text and BUYER_GSTIN in text and "CGST" not in text


def test_a_refund_lists_a_credit_note_that_reads_and_downloads(app):
    account = paying_account(app)
    payment_id = settled(app, account)
    get_gateway()._client().payment.refund(payment_id, {"amount": 20_000})  # ₹200 of ₹590
    listed = wait_until(lambda: documents(app, account)["credit_notes"], what="the credit note")
    [invoice_line] = documents(app, account)["invoices"]
    [note_line] = listed
    assert note_line["invoice_serial"] == invoice_line["serial"] and note_line["total_paise"] == 20_000
    assert note_line["serial"].startswith("CRN-") and note_line["payment_id"] == payment_id

    note = get(app, account, f"/me/billing/credit-notes/{note_line['serial']}").json()
    assert note["kind"] == "credit_note" and note["invoice_serial"] == invoice_line["serial"]
    assert (note["cgst_paise"], note["sgst_paise"], note["taxable_paise"]) == (1_525, 1_525, 16_950)
    assert note["pdf_path"] == f"/me/billing/credit-notes/{note_line['serial']}.pdf"
    response = get(app, account, note["pdf_path"])
    assert response.headers["content-disposition"] == f'attachment; filename="{note_line["serial"]}.pdf"'
    pages, text = pdf_pages_and_text(response.content)
    assert pages == 1 and invoice_line["serial"] in text and "₹200.00" in text

    # Each kind only at its own address: one spelling per document.
    assert_error(get(app, account, f"/me/billing/invoices/{note_line['serial']}"), 404, "not_found")
    assert_error(get(app, account, f"/me/billing/credit-notes/{invoice_line['serial']}.pdf"), 404, "not_found")


def test_another_orgs_documents_are_not_found(app):
    mine, theirs = paying_account(app), paying_account(app)
    settled(app, mine)
    [line] = documents(app, mine)["invoices"]
    assert documents(app, theirs) == {"invoices": [], "credit_notes": []}
    for path in (f"/me/billing/invoices/{line['serial']}", f"/me/billing/invoices/{line['serial']}.pdf"):
        error = assert_error(get(app, theirs, path), 404, "not_found", "not_found_error")
        assert line["serial"] not in error["message"]
    for nonsense in ("INV-2627-00001", "hello", "INV-2627-999999.pdf"):
        assert_error(get(app, mine, f"/me/billing/invoices/{nonsense}"), 404, "not_found")
    assert_error(app.http.get(f"{app.url}/me/billing/invoices"), 401, "unauthenticated")


def test_without_a_gstin_payments_keep_receipts_and_no_invoices(any_db, monkeypatch):
    monkeypatch.setenv("SELLER_GSTIN", "")
    with live_app(monkeypatch) as app:
        account = paying_account(app)
        payment_id = settled(app, account)
        assert documents(app, account) == {"invoices": [], "credit_notes": []}
        receipt = get(app, account, f"/me/billing/receipts/{payment_id}")
        assert receipt.status_code == 200 and receipt.json()["amount_paise"] == 50_000
        assert receipt.json()["tax_invoice"] is None
        assert receipt.json()["note"] == "This is a payment receipt, not a GST tax invoice."
