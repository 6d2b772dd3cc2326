"""GST on (SELLER_GSTIN set, a Karnataka seller) in the browser: the top-up panel says
"₹500 + ₹90 GST = ₹590" before paying and the sandbox is asked for ₹590; the tax invoice page
shows CGST + SGST for a Karnataka buyer and IGST for a registered Maharashtra buyer; the PDF the
page downloads, and the page printed, are one A4 page each (docs/gst.md).

The session's app runs without a GSTIN, so this module starts its own (a second production
frontend build, in its own directory)."""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.e2e.app_process import running_app
from tests.e2e.conftest import ARTIFACTS, goto
from tests.e2e.test_accounts_flow import signed_up, unique_email
from tests.e2e.test_topup_flow import add_address_via_form
from tests.factories import BUYER_GSTIN, SELLER_GSTIN

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def gst_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of the app with GST on."""
    workdir = tmp_path_factory.mktemp("e2e-gst")
    database_url = f"sqlite:///{workdir / 'gst.db'}"
    started = time.monotonic()
    try:
        with running_app(
            database_url,
            workdir,
            SELLER_GSTIN=SELLER_GSTIN,
            SELLER_STATE_CODE="29",
            SELLER_NAME="BharatRouter Technologies Pvt Ltd",
            SELLER_ADDRESS="1 MG Road, Bengaluru, Karnataka 560001",
        ) as base_url:
            print(f"\nthe GST app served after {time.monotonic() - started:.0f} s")
            yield base_url, database_url
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        if (workdir / "app.log").exists():
            shutil.copy(workdir / "app.log", ARTIFACTS / "e2e-gst-app.log")


@pytest.fixture
def app(gst_app: tuple[str, str], page: Page) -> Page:
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    return page


def shots(page: Page, name: str) -> None:
    """Full-page screenshots at a desktop and a phone width, in artifacts/."""
    expect(page.locator("[data-sonner-toast]")).to_have_count(0)  # an earlier page's toast has gone
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)  # the layout settles at its breakpoint
        page.screenshot(path=str(ARTIFACTS / f"gst-{name}-{width}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


def add_maharashtra_address(page: Page) -> None:
    page.get_by_label("Name (person or company)").fill("Ravi Traders Pvt Ltd")
    page.get_by_label("Address line 1").fill("4 Marine Drive")
    page.get_by_label("PIN code").fill("400020")
    expect(page.get_by_label("State", exact=True)).to_contain_text("Maharashtra (27)")
    expect(page.get_by_label("City")).not_to_have_value("")
    page.get_by_label("GSTIN (optional)").fill(BUYER_GSTIN)
    page.get_by_role("button", name="Save address").click()


def signed_up_with_address(page: Page, base_url: str, *, maharashtra: bool = False) -> None:
    signed_up(page, base_url, unique_email())
    goto(page, base_url, "/billing/address?next=/billing")
    (add_maharashtra_address if maharashtra else add_address_via_form)(page)
    page.wait_for_url("**/billing")
    page.wait_for_selector("#app-ready", state="attached")


def query(database_url: str, sql: str, **params: object) -> list[tuple]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def refund(base_url: str, database_url: str, serial: str, paise: int) -> None:
    """Refund part of the invoiced payment at Razorpay (the sandbox, as the console would), then
    wait for its webhook to have issued the credit note."""
    [(payment_id,)] = query(database_url, "SELECT razorpay_payment_id FROM tax_invoice WHERE serial = :s", s=serial)
    response = httpx.post(
        f"{base_url}/sandbox/razorpay/v1/payments/{payment_id}/refund",
        json={"amount": paise},
        auth=("rzp_test_sandbox", "sandbox_key_secret"),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 20
    while not query(database_url, "SELECT id FROM credit_note"):
        assert time.monotonic() < deadline, "no credit note was issued for the refund"
        time.sleep(0.2)


def newest_order(database_url: str) -> tuple[str, int]:
    """(Razorpay order id, amount in paise) of the newest org's only order, from the app's DB."""
    [(order_id, amount_paise)] = query(
        database_url,
        "SELECT razorpay_order_id, amount_paise FROM payment_order WHERE org_id = (SELECT max(id) FROM org)",
    )
    return str(order_id), int(amount_paise)


def pay_500_and_open_invoice(app: Page, base_url: str, database_url: str) -> str:
    """Top up ₹500 (₹590 with GST) and open its tax invoice; returns the invoice's serial."""
    app.get_by_test_id("preset-500").click()
    expect(app.get_by_label("Custom amount")).to_have_value("500")  # the form sends what it shows
    expect(app.get_by_test_id("gst-price")).to_have_text("You pay ₹500 + ₹90 GST = ₹590")
    app.get_by_test_id("add-credits").click()
    expect(app.get_by_test_id("rzp-amount")).to_have_text(re.compile(r"₹\s?590"))
    order_id, amount_paise = newest_order(database_url)
    assert amount_paise == 59_000
    order = httpx.get(f"{base_url}/sandbox/razorpay/_control/orders/{order_id}", timeout=10).json()["order"]
    assert (order["amount"], order["currency"]) == (59_000, "INR")  # what Razorpay is asked for
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹600.00")  # ₹100 signup + ₹500 credit
    payments = httpx.get(f"{base_url}/sandbox/razorpay/_control/orders/{order_id}", timeout=10).json()["payments"]
    assert [(p["amount"], p["status"]) for p in payments] == [(59_000, "captured")]  # ₹590 paid
    first = app.get_by_test_id("history-row").first
    expect(first).to_contain_text("Credit top-up via Razorpay (₹590 incl. ₹90 GST)")
    expect(first).to_contain_text("+₹500.00")
    expect(first.get_by_test_id("receipt-link")).to_have_text("Invoice")
    link = app.get_by_test_id("success-receipt")
    expect(link).to_have_text("View tax invoice")
    link.click()
    app.wait_for_url("**/billing/invoices/INV-*")
    expect(app.get_by_test_id("gst-document")).to_be_visible()
    return app.url.rstrip("/").rsplit("/", 1)[-1]


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_karnataka_buyer_sees_gst_pays_590_and_gets_a_cgst_sgst_invoice(app: Page, gst_app: tuple[str, str]):
    base_url, database_url = gst_app
    signed_up_with_address(app, base_url)
    expect(app.get_by_test_id("invoices-empty")).to_be_visible()
    expect(app.get_by_test_id("gst-price")).to_have_count(0)  # no amount chosen yet
    app.get_by_label("Custom amount").fill("250")
    expect(app.get_by_test_id("gst-price")).to_have_text("You pay ₹250 + ₹45 GST = ₹295")
    shots(app, "billing-empty-lists-and-gst-price")

    serial = pay_500_and_open_invoice(app, base_url, database_url)
    assert re.fullmatch(r"INV-\d{4}-000001", serial)
    document = app.get_by_test_id("gst-document")
    expect(app.get_by_test_id("document-title")).to_have_text("Tax invoice")
    expect(app.get_by_test_id("document-serial")).to_contain_text(serial)
    lines = app.get_by_test_id("tax-line")
    expect(lines).to_have_count(4)  # taxable value, rate, CGST, SGST
    expect(lines.nth(2)).to_contain_text("CGST @ 9%₹45.00")
    expect(lines.nth(3)).to_contain_text("SGST @ 9%₹45.00")
    expect(document).not_to_contain_text("IGST")
    expect(app.get_by_test_id("document-total")).to_have_text("₹590.00")
    expect(app.get_by_test_id("document-words")).to_have_text("Rupees Five Hundred Ninety Only")
    expect(app.get_by_test_id("supplier-gstin")).to_have_text(f"GSTIN {SELLER_GSTIN}")
    expect(app.get_by_test_id("recipient-gstin")).to_have_count(0)  # unregistered: B2C
    expect(app.get_by_test_id("recipient-state")).to_have_text("State Karnataka (29)")
    for particular in ("Place of supply", "Karnataka (29)", "Reverse charge", "998315", "Prepaid credits"):
        expect(document).to_contain_text(particular)
    shots(app, "invoice-karnataka")

    with app.expect_download() as download_info:
        app.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"{serial}.pdf"
    pages, text = pdf_text(Path(download.path()).read_bytes())
    assert pages == 1
    assert serial in text and "₹590.00" in text and "₹45.00" in text and "₹500.00" in text

    app.emulate_media(media="print")
    printed = app.pdf(format="A4", print_background=True)
    (ARTIFACTS / "gst-invoice-print.pdf").write_bytes(printed)
    pages, text = pdf_text(printed)
    assert pages == 1 and serial in text and "Dashboard" not in text and "Download PDF" not in text
    app.screenshot(path=str(ARTIFACTS / "gst-invoice-print-media.png"), full_page=True)
    app.emulate_media(media="screen")

    goto(app, base_url, "/billing")
    rows = app.get_by_test_id("invoices-table").get_by_test_id("invoices-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(serial)
    expect(rows.first).to_contain_text("₹500.00")
    expect(rows.first).to_contain_text("₹90.00")
    expect(rows.first).to_contain_text("₹590.00")
    shots(app, "billing-with-invoice")

    # its receipt says it is not the tax invoice, and opens the one that is
    [(payment_id,)] = query(database_url, "SELECT razorpay_payment_id FROM tax_invoice WHERE serial = :s", s=serial)
    goto(app, base_url, f"/billing/receipts/{payment_id}")
    expect(app.get_by_test_id("receipt-note")).to_contain_text(f"Its tax invoice is {serial}.")
    shots(app, "receipt-names-its-invoice")
    app.get_by_test_id("receipt-invoice").click()
    app.wait_for_url(f"**/billing/invoices/{serial}")
    expect(app.get_by_test_id("document-serial")).to_contain_text(serial)

    refund(base_url, database_url, serial, 20_000)  # ₹200 of the ₹590
    goto(app, base_url, "/billing")
    notes = app.get_by_test_id("credit-notes-table").get_by_test_id("credit-notes-row")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text(serial)  # against the invoice
    expect(notes.first).to_contain_text("₹200.00")
    shots(app, "billing-with-invoice-and-credit-note")
    notes.first.get_by_test_id("document-link").click()
    app.wait_for_url("**/billing/credit-notes/CRN-*")
    expect(app.get_by_test_id("document-title")).to_have_text("Credit note")
    document = app.get_by_test_id("gst-document")
    expect(document).to_contain_text(f"Against invoice{serial}")
    expect(app.get_by_test_id("tax-line").nth(2)).to_contain_text("CGST @ 9%₹15.25")  # 45 × 200/590
    expect(app.get_by_test_id("document-total")).to_have_text("₹200.00")
    expect(app.get_by_test_id("document-words")).to_have_text("Rupees Two Hundred Only")
    shots(app, "credit-note")
    app.get_by_test_id("against-link").click()
    app.wait_for_url(f"**/billing/invoices/{serial}")
    expect(app.get_by_test_id("document-total")).to_have_text("₹590.00")


def test_maharashtra_buyer_gets_igst_and_others_cannot_open_it(app: Page, gst_app: tuple[str, str], browser: Browser):
    base_url, database_url = gst_app
    signed_up_with_address(app, base_url, maharashtra=True)
    serial = pay_500_and_open_invoice(app, base_url, database_url)
    lines = app.get_by_test_id("tax-line")
    expect(lines).to_have_count(3)  # taxable value, rate, IGST
    expect(lines.nth(2)).to_contain_text("IGST @ 18%₹90.00")
    expect(app.get_by_test_id("gst-document")).not_to_contain_text("CGST")
    expect(app.get_by_test_id("recipient-gstin")).to_have_text(f"GSTIN {BUYER_GSTIN}")
    expect(app.get_by_test_id("gst-document")).to_contain_text("Maharashtra (27)")
    expect(app.get_by_test_id("document-total")).to_have_text("₹590.00")
    shots(app, "invoice-maharashtra")

    with app.expect_download() as download_info:
        app.get_by_test_id("download-pdf").click()
    pages, text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert pages == 1 and serial in text and "IGST @ 18%" in text and BUYER_GSTIN in text

    # Another person's invoice is not found.
    other = browser.new_context().new_page()
    signed_up_with_address(other, base_url)
    goto(other, base_url, f"/billing/invoices/{serial}")
    expect(other.get_by_test_id("document-missing")).to_be_visible()
    expect(other.get_by_test_id("download-pdf")).to_be_disabled()
    other.context.close()
