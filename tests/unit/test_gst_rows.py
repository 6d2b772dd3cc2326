"""What the Billing lists and the printable invoice and credit-note pages show: built from the
documents by pure functions, saying exactly what `particulars` (and so the PDF and API) say."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_app.gst_documents import build_credit_note, particulars
from billing_app.models import LedgerEntry
from billing_app.rows.gst_documents import DocumentView, document_rows, document_view
from billing_app.rows.history import entry_row, history_rows, refund_ids, topup_payment_ids
from billing_app.services.gst_invoices import DocumentKind, DocumentSummary
from tests.unit.test_gst_documents import buyer, invoice

ISSUED = datetime(2026, 11, 23, 14, 35, tzinfo=UTC)  # 23 Nov 2026, 8:05 PM IST


def printed_values(view: DocumentView) -> set[str]:
    parties = [view.supplier, view.recipient]
    values = {view.serial, view.date, view.sac, view.description, view.taxable, view.total, view.total_in_words}
    values |= {view.reverse_charge, *(p.name for p in parties), *(p.address for p in parties)}
    values |= {*(p.gstin for p in parties), *(p.state for p in parties)}
    return values | {line.value for line in [*view.details, *view.tax_lines, *view.irn]}


def test_the_invoice_page_shows_every_particular_of_an_igst_invoice():
    document = invoice()  # a registered Maharashtra buyer of a Karnataka seller
    view = document_view(document)
    assert {value for _, value in particulars(document)} <= printed_values(view)
    assert [(line.label, line.value) for line in view.tax_lines] == [
        ("Taxable value", "₹500.00"),
        ("GST rate", "18%"),
        ("IGST @ 18%", "₹90.00"),
    ]
    assert (view.title, view.total, view.recipient.state) == ("Tax invoice", "₹590.00", "Maharashtra (27)")
    assert view.against_url == ""


def test_a_karnataka_buyer_sees_cgst_and_sgst_and_no_gstin_line():
    view = document_view(invoice(buyer("29", None, city="Bengaluru", pin="560001")))
    assert [line.label for line in view.tax_lines] == ["Taxable value", "GST rate", "CGST @ 9%", "SGST @ 9%"]
    assert view.recipient.gstin == "" and view.supplier.gstin == "29AAGCB7383J1Z4"


def test_the_credit_note_page_names_and_links_the_invoice_it_corrects():
    original = invoice()
    note = build_credit_note(number=7, issued_at=ISSUED, invoice=original, refund_paise=29_500)
    view = document_view(note)
    assert {value for _, value in particulars(note)} <= printed_values(view)
    details = {line.label: line.value for line in view.details}
    assert details["Against invoice"] == original.serial and details["Reason"] == "Refund"
    assert view.against_url == f"/billing/invoices/{original.serial}"
    assert (view.title, view.total) == ("Credit note", "₹295.00")


def test_the_billing_lists_split_invoices_from_credit_notes():
    items = [
        DocumentSummary(
            DocumentKind.CREDIT_NOTE, "CRN-2627-000001", ISSUED, 16_950, 3_050, 20_000, "pay_1", "INV-2627-000001"
        ),
        DocumentSummary(DocumentKind.INVOICE, "INV-2627-000001", ISSUED, 50_000, 9_000, 59_000, "pay_1"),
    ]
    [invoice_row] = document_rows(items, DocumentKind.INVOICE)
    assert (invoice_row.taxable, invoice_row.tax, invoice_row.total) == ("₹500.00", "₹90.00", "₹590.00")
    assert invoice_row.url == "/billing/invoices/INV-2627-000001" and invoice_row.against == ""
    assert invoice_row.date == "23 Nov 2026, 08:05 PM IST"
    [note_row] = document_rows(items, DocumentKind.CREDIT_NOTE)
    assert note_row.url == "/billing/credit-notes/CRN-2627-000001"
    assert (note_row.against, note_row.against_url) == ("INV-2627-000001", "/billing/invoices/INV-2627-000001")


def entry(kind: str, payment_id: str | None, entry_id: int, external_ref: str | None = None) -> LedgerEntry:
    return LedgerEntry(
        id=entry_id,
        org_id=1,
        kind=kind,
        amount_micros=-200_000_000 if kind == "refund" else 500_000_000,
        external_ref=external_ref,
        balance_after_micros=600_000_000,
        description="Credit top-up via Razorpay (₹590 incl. ₹90 GST)",
        payment_id=payment_id,
        created_at=ISSUED,
    )


def test_a_top_up_links_to_its_invoice_when_it_has_one_else_its_receipt():
    invoiced, before_gst, bonus = (
        entry("checkout", "pay_new", 1),
        entry("checkout", "pay_old", 2),
        entry("promo", "pay_new", 3),
    )
    assert topup_payment_ids([invoiced, before_gst, bonus]) == ["pay_new", "pay_old"]
    invoices = {"pay_new": "INV-2627-000001"}
    rows = history_rows([invoiced, before_gst, bonus], "INR", invoices)
    assert [(row.receipt_url, row.receipt_label) for row in rows] == [
        ("/billing/invoices/INV-2627-000001", "Invoice"),
        ("/billing/receipts/pay_old", "Receipt"),
        ("", "Receipt"),  # a promo bonus has neither
    ]
    assert entry_row(invoiced, "INR").receipt_url == "/billing/receipts/pay_new"  # no invoices known


def test_a_refund_of_an_invoiced_payment_links_to_its_credit_note():
    invoiced = entry("refund", "pay_new", 1, external_ref="rfnd_new")
    before_gst = entry("refund", "pay_old", 2, external_ref="rfnd_old")
    top_up = entry("checkout", "pay_new", 3)
    assert refund_ids([invoiced, before_gst, top_up]) == ["rfnd_new", "rfnd_old"]
    notes = {"rfnd_new": "CRN-2627-000001"}
    invoices = {"pay_new": "INV-2627-000001"}
    rows = history_rows([invoiced, before_gst, top_up], "INR", invoices, notes)
    assert [(row.type, row.amount, row.receipt_url, row.receipt_label) for row in rows] == [
        ("Refund", "−₹200.00", "/billing/credit-notes/CRN-2627-000001", "Credit note"),
        ("Refund", "−₹200.00", "", "Receipt"),  # no credit note: no link (a refund has no receipt)
        ("Top-up", "+₹500.00", "/billing/invoices/INV-2627-000001", "Invoice"),
    ]
    # The refund's credit note is looked up by its refund id, never by the payment it refunds.
    assert entry_row(invoiced, "INR", {}, {"pay_new": "CRN-2627-000001"}).receipt_url == ""
