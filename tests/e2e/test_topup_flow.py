"""Top up in the browser through the sandbox's Razorpay Checkout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import signed_up, unique_email

pytestmark = pytest.mark.e2e


def add_address_via_form(page: Page) -> None:
    page.get_by_label("Name (person or company)").fill("Acme Labs Pvt Ltd")
    page.get_by_label("Address line 1").fill("1 MG Road")
    page.get_by_label("PIN code").fill("560001")
    expect(page.get_by_label("City")).to_have_value("Bengaluru Urban")
    expect(page.get_by_label("State", exact=True)).to_contain_text("Karnataka (29)")
    page.get_by_role("button", name="Save address").click()


def start_checkout(page: Page, units: int = 500) -> None:
    page.get_by_test_id(f"preset-{units}").click()
    # As a person does: pay once the amount field shows the preset (the form sends what it shows).
    expect(page.get_by_label("Custom amount")).to_have_value(str(units))
    page.get_by_test_id("add-credits").click()
    expect(page.get_by_test_id("rzp-sandbox-modal")).to_be_visible()


def fail_then_close(page: Page) -> None:
    """A failed payment, then the modal closed: the page offers a retry, nothing charged."""
    page.get_by_test_id("rzp-fail").click()
    # Razorpay keeps it open for a retry, saying so once the emulator has answered (a close
    # before that is a plain cancel)
    expect(page.get_by_test_id("rzp-sandbox-modal")).to_contain_text("Payment failed")
    page.get_by_test_id("rzp-close").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("You can try again")


def signed_up_with_address(page: Page, base_url: str) -> None:
    signed_up(page, base_url, unique_email())
    goto(page, base_url, "/billing/address?next=/billing")
    add_address_via_form(page)
    page.wait_for_url("**/billing")
    page.wait_for_selector("#app-ready", state="attached")


def test_address_first_then_top_up_500(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    app.get_by_test_id("preset-500").click()
    app.get_by_test_id("add-credits").click()
    app.wait_for_url("**/billing/address?next=/billing")  # address_required → the form, then back
    add_address_via_form(app)
    app.wait_for_url("**/billing")
    app.wait_for_selector("#app-ready", state="attached")

    start_checkout(app, 500)
    screenshot(app, "checkout-modal")
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹600.00")
    expect(app.get_by_test_id("topup-success")).to_contain_text("₹600.00")
    first = app.get_by_test_id("history-row").first
    expect(first).to_contain_text("Credit top-up via Razorpay (₹500)")
    expect(first).to_contain_text("+₹500.00")
    screenshot(app, "billing-after-topup")


def test_failed_payment_then_close_shows_error_and_allows_retry(app: Page, app_server: str):
    signed_up_with_address(app, app_server)
    start_checkout(app, 250)
    fail_then_close(app)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    screenshot(app, "topup-failed")
    # retry: the UPI retry succeeds and is credited once
    start_checkout(app, 250)
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹350.00")
    expect(app.get_by_test_id("history-row")).to_have_count(2)


def test_fail_then_pay_in_the_same_modal_is_credited_once(app: Page, app_server: str):
    signed_up_with_address(app, app_server)
    start_checkout(app, 100)
    app.get_by_test_id("rzp-fail").click()
    app.get_by_test_id("rzp-pay").click()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹200.00")
    expect(app.get_by_test_id("history-row")).to_have_count(2)


def test_closing_checkout_is_a_calm_notice(app: Page, app_server: str):
    signed_up_with_address(app, app_server)
    start_checkout(app, 100)
    app.get_by_test_id("rzp-close").click()
    expect(app.get_by_test_id("topup-notice")).to_contain_text("Payment cancelled")
    expect(app.get_by_test_id("add-credits")).to_be_enabled()
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")


def test_custom_amount_outside_limits_is_explained(app: Page, app_server: str):
    signed_up_with_address(app, app_server)
    app.get_by_label("Custom amount").fill("250.5")
    app.get_by_test_id("add-credits").click()
    expect(app.get_by_test_id("form-error")).to_contain_text("whole amount")
    app.get_by_label("Custom amount").fill("5000")
    app.get_by_test_id("add-credits").click()
    expect(app.get_by_test_id("form-error")).to_contain_text("between ₹100 and ₹1,000")


def test_double_click_creates_one_order(app: Page, app_server: str, app_database: str):
    import sqlalchemy as sa

    signed_up_with_address(app, app_server)
    app.get_by_test_id("preset-250").click()
    app.get_by_test_id("add-credits").dblclick()
    expect(app.get_by_test_id("rzp-sandbox-modal")).to_be_visible()
    app.get_by_test_id("rzp-close").click()
    expect(app.get_by_test_id("topup-notice")).to_be_visible()
    engine = sa.create_engine(app_database)
    with engine.connect() as conn:
        newest_org = conn.execute(sa.text("SELECT max(id) FROM org")).scalar_one()
        orders = conn.execute(sa.text("SELECT count(*) FROM payment_order WHERE org_id = :o"), {"o": newest_org})
        assert orders.scalar_one() == 1
    engine.dispose()
