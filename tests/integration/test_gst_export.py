"""The operator's GSTR-1 export over real parts (issue 20): top-ups paid in the Razorpay sandbox
and refunded through it, then the month's sheets from the service, the CLI (a subprocess) and
the console's download. A GSTIN-less buyer lands in b2cs, a registered one in b2b; credit notes
in cdnr or netted into b2cs; the document summary numbers the series; and the sheets reconcile
with the ledger's credits and refunds (docs/gst.md, "The GSTR-1 export")."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.gst_serials import DocumentType, financial_year, format_serial
from billing_app.gstr1 import HEADERS
from billing_app.integrations.razorpay_gateway import get_gateway
from billing_app.ist import IST, ist_month_start, ist_next_month_start
from billing_app.models import LedgerEntry, Payment, PaymentOrder
from billing_app.services import gst_invoices, staff
from billing_app.services.gst_export import gstr1_export
from tests.factories import BUYER_GSTIN, MAHARASHTRA_ADDRESS, gst_seller, paid_order, paying_account
from tests.payments_support import LiveApp, assert_books_balance, credits_for, live_app, wait_until

ROOT = Path(__file__).resolve().parents[2]
MICROS_PER_PAISA = 10_000


@pytest.fixture
def app(any_db, monkeypatch) -> Iterator[LiveApp]:
    gst_seller(monkeypatch)
    with live_app(monkeypatch) as running:
        yield running


def this_month() -> str:
    return datetime.now(IST).strftime("%Y-%m")


def settled(app: LiveApp, account: dict[str, Any], amount: int = 500) -> str:
    order_id, result = paid_order(app, account, amount)
    assert app.verify(account, order_id, result).status_code == 200
    return str(result["razorpay_payment_id"])


def receipt_only(app: LiveApp, account: dict[str, Any]) -> str:
    """A payment priced before the GSTIN was set: credited with a receipt and no invoice."""
    order_id, result = paid_order(app, account, 400)
    with write_session() as session:
        order = session.exec(select(PaymentOrder).where(col(PaymentOrder.razorpay_order_id) == order_id)).one()
        order.gst_taxable_paise = order.gst_tax_paise = order.gst_rate_percent = None
        order.gst_place_of_supply = None
        session.add(order)
    assert app.verify(account, order_id, result).status_code == 200
    return str(result["razorpay_payment_id"])


def refund(payment_id: str, paise: int, org_id: int, notes_after: int) -> None:
    get_gateway()._client().payment.refund(payment_id, {"amount": paise})
    wait_until(
        lambda: sum(d.kind == "credit_note" for d in gst_invoices.list_documents(org_id=org_id)) == notes_after,
        what="the credit note",
    )


def sheets_of(files: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(text))) for name, text in files.items()}


def paise(text: str) -> int:
    whole, _, part = text.lstrip("-").partition(".")
    return (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(part))


@pytest.fixture
def month_of_business(app: LiveApp) -> dict[str, Any]:
    """This month: a Karnataka buyer without a GSTIN pays ₹500 and ₹300 and gets ₹200 of the
    first back; a registered Maharashtra buyer pays ₹1,000 and gets all of it back; one
    payment from before the GSTIN has a receipt only."""
    b2c = paying_account(app)
    b2b = app.signup("ravi@example.com")
    response = app.http.put(f"{app.url}/me/billing/address", json=MAHARASHTRA_ADDRESS, headers=b2b["headers"])
    assert response.status_code == 200, response.text
    first, _ = settled(app, b2c, 500), settled(app, b2c, 300)
    registered = settled(app, b2b, 1_000)
    receipt_only(app, b2c)
    refund(first, 20_000, b2c["org_id"], notes_after=1)  # ₹200 of ₹590
    refund(registered, 118_000, b2b["org_id"], notes_after=1)  # all ₹1,180
    wait_until(lambda: len(credits_for(b2c["org_id"], "refund")) == 1, what="the refund's debit")
    wait_until(lambda: len(credits_for(b2b["org_id"], "refund")) == 1, what="the refund's debit")
    return {"b2c": b2c, "b2b": b2b}


def test_b2c_and_b2b_placement_notes_and_the_document_summary(app, month_of_business):
    export = gstr1_export(month=this_month())
    sheets = sheets_of(export.files)
    [b2b] = sheets["b2b"]
    assert (b2b["GSTIN/UIN of Recipient"], b2b["Receiver Name"], b2b["Place Of Supply"]) == (
        BUYER_GSTIN,
        "Ravi Traders Pvt Ltd",
        "27-Maharashtra",
    )
    assert (b2b["Invoice Value"], b2b["Taxable Value"], b2b["Rate"], b2b["Reverse Charge"]) == (
        "1180.00",
        "1000.00",
        "18",
        "N",
    )
    # The B2C buyer: ₹500 + ₹300 less the ₹200 refund's taxable part (₹200 − 2 × ₹15.25 of tax).
    [b2cs] = sheets["b2cs"]
    assert (b2cs["Type"], b2cs["Place Of Supply"], b2cs["Rate"], b2cs["Taxable Value"]) == (
        "OE",
        "29-Karnataka",
        "18",
        "630.50",
    )
    [cdnr] = sheets["cdnr"]
    assert (cdnr["GSTIN/UIN of Recipient"], cdnr["Note Type"], cdnr["Note Value"], cdnr["Taxable Value"]) == (
        BUYER_GSTIN,
        "C",
        "1180.00",
        "1000.00",
    )
    assert sheets["cdnur"] == [] and sheets["b2cl"] == []
    year = financial_year(datetime.now(IST))
    assert sheets["docs"] == [
        {
            "Nature of Document": "Invoices for outward supply",
            "Sr. No. From": format_serial(DocumentType.INVOICE, year, 1),
            "Sr. No. To": format_serial(DocumentType.INVOICE, year, 3),
            "Total Number": "3",  # the receipt-only payment has no invoice
            "Cancelled": "0",
        },
        {
            "Nature of Document": "Credit Note",
            "Sr. No. From": format_serial(DocumentType.CREDIT_NOTE, year, 1),
            "Sr. No. To": format_serial(DocumentType.CREDIT_NOTE, year, 2),
            "Total Number": "2",
            "Cancelled": "0",
        },
    ]
    assert_books_balance()


def gst_ledger_micros(month_start: datetime) -> tuple[int, int]:
    """(credits, refunds) of the month's ledger rows for payments of orders priced with GST."""
    with read_session() as session:
        rows = session.exec(
            select(LedgerEntry.kind, LedgerEntry.amount_micros)
            .join(Payment, col(Payment.razorpay_payment_id) == LedgerEntry.payment_id)
            .join(PaymentOrder, col(PaymentOrder.id) == Payment.order_id)
            .where(
                col(PaymentOrder.gst_taxable_paise).is_not(None),
                col(LedgerEntry.created_at) >= month_start,
                col(LedgerEntry.created_at) < ist_next_month_start(month_start),
            )
        ).all()
    credits = sum(amount for kind, amount in rows if kind == "checkout")
    refunds = -sum(amount for kind, amount in rows if kind == "refund")
    return credits, refunds


def test_the_sheets_reconcile_with_the_ledger(app, month_of_business):
    """Invoices' taxable values are exactly the credits the GST payments bought; each credit
    note's taxable value is the credits its refund took back to within a paisa (the note rounds
    its tax half-up to the paisa, the debit rounds credits down to the micro)."""
    export = gstr1_export(month=this_month())
    sheets = sheets_of(export.files)
    sold = sum(paise(row["Taxable Value"]) for row in sheets["b2b"] + sheets["b2cs"])
    returned = sum(paise(row["Taxable Value"]) for row in sheets["cdnr"] + sheets["cdnur"])
    gstr1 = export.gstr1
    assert sold - returned == gstr1.invoices.taxable_paise - gstr1.credit_notes.taxable_paise  # b2cs is net
    credits, refunds = gst_ledger_micros(ist_month_start(datetime.now(IST)))
    assert credits == gstr1.invoices.taxable_paise * MICROS_PER_PAISA == 1_800 * 1_000_000
    notes = gstr1.credit_notes
    assert abs(refunds - notes.taxable_paise * MICROS_PER_PAISA) < notes.count * MICROS_PER_PAISA
    assert abs((credits - refunds) - gstr1.net.taxable_paise * MICROS_PER_PAISA) < notes.count * MICROS_PER_PAISA
    # The HSN sheets carry the same net, and its tax.
    hsn = sheets["hsn_b2b"] + sheets["hsn_b2c"]
    assert sum(paise(row["Taxable Value"]) for row in hsn) == gstr1.net.taxable_paise
    tax = sum(paise(row[c]) for row in hsn for c in HEADERS["hsn_b2b"][7:10])
    assert tax == gstr1.net.total_paise - gstr1.net.taxable_paise


def test_the_cli_writes_every_sheet_and_prints_the_totals(app, month_of_business, tmp_path):
    out = tmp_path / "gstr1"  # created by the command
    run = subprocess.run(
        [sys.executable, "-m", "billing_app.cli", "gst", "export", "--month", this_month(), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in HEADERS)
    assert f"wrote {out / 'b2b.csv'}" in run.stdout
    # ₹1,800 sold; ₹169.50 + ₹1,000 of taxable value credited back.
    assert "invoices: 3, taxable ₹1,800.00, CGST ₹72.00, SGST ₹72.00, IGST ₹180.00, total ₹2,124.00" in run.stdout
    assert "credit notes: 2, taxable ₹1,169.50" in run.stdout
    assert "net: 5, taxable ₹630.50" in run.stdout
    assert sheets_of({"b2b.csv": (out / "b2b.csv").read_text()})["b2b"][0]["GSTIN/UIN of Recipient"] == BUYER_GSTIN


def test_the_cli_refuses_a_malformed_month(any_db, tmp_path):
    out = tmp_path / "gstr1"
    run = subprocess.run(
        [sys.executable, "-m", "billing_app.cli", "gst", "export", "--month", "2026-13", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "'2026-13' is not a month: write it as YYYY-MM, e.g. 2026-11." in run.stderr
    assert not out.exists()


def test_staff_download_the_zip_and_nobody_else_sees_it(app, month_of_business):
    operator = app.signup("ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    url = f"{app.url}/admin/gst/gstr1"
    response = app.http.get(url, params={"month": this_month()}, headers=operator["headers"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="gstr1-{this_month()}.zip"' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist()}
    assert files == gstr1_export(month=this_month()).files  # the CLI's files, byte for byte
    assert sheets_of(files)["b2b"][0]["GSTIN/UIN of Recipient"] == BUYER_GSTIN
    bad = app.http.get(url, params={"month": "November"}, headers=operator["headers"])
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request")
    customer = month_of_business["b2b"]  # an owner, not staff
    for headers in (customer["headers"], {}):
        refused = app.http.get(url, params={"month": this_month()}, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
