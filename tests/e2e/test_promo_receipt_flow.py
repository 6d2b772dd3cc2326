"""Apply a promo code in the top-up panel, pay, see the bonus; open and print the receipt."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, goto, run_cli, screenshot
from tests.e2e.test_topup_flow import signed_up_with_address, start_checkout

pytestmark = pytest.mark.e2e
_n = itertools.count()


def test_promo_bonus_then_printable_receipt(app: Page, app_server: str, app_database: str):
    code = f"E2EFIFTY{next(_n)}"
    run_cli(app_database, "promo", "create", code, "--flat", "50")  # operators create codes with the CLI
    signed_up_with_address(app, app_server)

    app.get_by_test_id("preset-500").click()
    app.get_by_label("Promo code").fill("nope")
    app.get_by_test_id("apply-promo").click()
    expect(app.get_by_test_id("promo-error")).to_contain_text("not valid")
    expect(app.get_by_test_id("add-credits")).to_be_enabled()  # a bad code blocks nothing else

    app.get_by_label("Promo code").fill(code.lower())
    app.get_by_test_id("apply-promo").click()
    expect(app.get_by_test_id("promo-summary")).to_contain_text("₹500 + ₹50 bonus")
    screenshot(app, "promo-applied")

    app.get_by_test_id("add-credits").click()
    expect(app.get_by_test_id("rzp-sandbox-modal")).to_be_visible()
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹650.00")
    rows = app.get_by_test_id("history-row")
    expect(rows.nth(0)).to_contain_text(f"Promo bonus {code}")
    expect(rows.nth(0)).to_contain_text("+₹50.00")
    expect(rows.nth(1)).to_contain_text("Credit top-up via Razorpay (₹500)")

    app.get_by_test_id("success-receipt").click()
    app.wait_for_url("**/billing/receipts/pay_*")
    expect(app.get_by_test_id("receipt")).to_be_visible()
    payment_id = app.url.rstrip("/").rsplit("/", 1)[-1]
    expect(app.get_by_test_id("receipt-payment_id")).to_have_text(payment_id)
    expect(app.get_by_test_id("receipt-amount")).to_have_text("₹500.00")
    expect(app.get_by_test_id("receipt-bonus")).to_have_text("₹50.00")
    expect(app.get_by_test_id("receipt-state")).to_contain_text("Karnataka (GST state code 29)")
    expect(app.get_by_test_id("receipt-note")).to_have_text("This is a payment receipt, not a GST tax invoice.")
    screenshot(app, "receipt")
    paid_at = app.get_by_test_id("receipt-paid_at").inner_text()
    assert re.fullmatch(r"\d\d \w{3} \d{4}, \d\d:\d\d [AP]M IST", paid_at)

    app.emulate_media(media="print")
    pdf = app.pdf(format="A4", print_background=True)
    (ARTIFACTS / "receipt.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1  # one A4 page
    # NFKC: the PDF may draw "fi" in a payment id as one ligature glyph
    text = unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in reader.pages))
    assert payment_id in text
    assert "₹500.00" in text or "500.00" in text
    assert paid_at.replace(" ", "") in text.replace(" ", "")
    assert "Dashboard" not in text  # navigation is not printed
    screenshot(app, "receipt-print-media")


def test_history_links_to_receipt_and_other_receipts_are_not_found(app: Page, app_server: str):
    signed_up_with_address(app, app_server)
    start_checkout(app, 100)
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹200.00")
    link = app.get_by_test_id("history-table").get_by_test_id("receipt-link")
    expect(link).to_have_count(1)
    link.click()
    app.wait_for_url("**/billing/receipts/pay_*")
    expect(app.get_by_test_id("receipt-amount")).to_have_text("₹100.00")
    goto(app, app_server, "/billing/receipts/pay_SomebodyElse01")
    expect(app.get_by_test_id("receipt-missing")).to_be_visible()
    expect(app.get_by_test_id("print-receipt")).to_be_disabled()
