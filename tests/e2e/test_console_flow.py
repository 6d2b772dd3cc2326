"""The operator console in the browser: staff find a customer's org by the payment id and refund
part of it; the customer sees the refund in Billing and on the receipt. To anyone not on staff
every console page is the page a path that does not exist shows, answered 404 by the server."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from billing_app import routes
from tests.e2e.conftest import goto, run_cli, screenshot
from tests.e2e.test_accounts_flow import signed_up, unique_email
from tests.e2e.test_topup_flow import signed_up_with_address, start_checkout

pytestmark = pytest.mark.e2e

NOT_FOUND = "404: Page not found"
CONSOLE_PATHS = [path for _, path in routes.CONSOLE_NAV] + [
    routes.console_org_url(1),
    routes.console_list_url("topups", "today"),
]


def new_browser(browser: Browser, width: int = 1280) -> Page:
    """Another person's browser: its own storage, so its own session."""
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    return page


def shot(page: Page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of the full page
    screenshot(page, f"console-{name}")


def staff_member(browser: Browser, base_url: str, database_url: str, width: int = 1280) -> Page:
    """A person on staff, signed in, in a browser of their own."""
    page = new_browser(browser, width)
    email = unique_email()
    signed_up(page, base_url, email)
    run_cli(database_url, "staff", "grant", email)
    return page


def paid_500(page: Page, base_url: str) -> str:
    """A customer who signed up (₹100 signup credit) and paid ₹500; the Razorpay payment id."""
    signed_up_with_address(page, base_url)
    start_checkout(page, 500)
    page.get_by_test_id("rzp-pay").click()
    expect(page.get_by_test_id("header-balance")).to_have_text("₹600.00")
    href = page.get_by_test_id("success-receipt").get_attribute("href") or ""
    payment_id = href.rstrip("/").rsplit("/", 1)[-1]
    assert payment_id.startswith("pay_"), href
    return payment_id


def test_staff_refund_200_of_a_500_payment_found_by_its_payment_id(
    app: Page, app_server: str, app_database: str, browser: Browser
):
    customer = app
    payment_id = paid_500(customer, app_server)

    staff = staff_member(browser, app_server, app_database)
    goto(staff, app_server, routes.BILLING)
    staff.get_by_role("link", name="Console").first.click()
    staff.wait_for_url(f"**{routes.CONSOLE}")
    expect(staff.get_by_test_id("figure-balances-owed")).to_be_visible()
    shot(staff, "overview-1280")
    staff.get_by_test_id("console-nav").get_by_role("link", name="Orgs").click()
    staff.get_by_test_id("org-search").fill(payment_id)
    staff.get_by_test_id("org-search-go").click()
    hits = staff.get_by_test_id("org-hits").get_by_test_id("org-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("payment id")
    hits.first.get_by_test_id("org-link").click()
    staff.wait_for_url(re.compile(r".*/console/orgs/\d+$"))
    expect(staff.get_by_test_id("org-balance")).to_have_text("₹600.00")

    order = staff.get_by_test_id("orders-table").get_by_test_id("order-row").filter(has_text=payment_id)
    order.get_by_test_id("check-payment").click()
    expect(order.get_by_test_id("live-status")).to_contain_text("Razorpay: captured, ₹500.00")
    shot(staff, "org-1280")
    order.get_by_test_id("refund-open").click()
    dialog = staff.get_by_test_id("refund-dialog")
    expect(dialog.get_by_test_id("refund-amount")).to_have_value("500")  # what remains
    dialog.get_by_test_id("refund-amount").fill("200")
    dialog.get_by_test_id("refund-submit").click()
    expect(dialog.get_by_test_id("form-error")).to_contain_text("reason")  # required
    dialog.get_by_test_id("refund-reason").fill("Customer asked for part of the top-up back")
    shot(staff, "refund-dialog-1280")
    dialog.get_by_test_id("refund-submit").click()
    expect(staff.get_by_test_id("org-notice")).to_contain_text(f"Refund of ₹200.00 of {payment_id} sent")

    # The credits come off when Razorpay reports the refund processed (its webhook)
    goto(customer, app_server, routes.BILLING)
    refund_row = customer.get_by_test_id("history-row").filter(has_text="Refund")
    expect(refund_row.first).to_contain_text("−₹200.00", timeout=30_000)
    customer.reload()
    customer.wait_for_selector("#app-ready", state="attached")
    expect(customer.get_by_test_id("header-balance")).to_have_text("₹400.00")  # ₹100 signup + ₹500 − ₹200
    goto(customer, app_server, routes.receipt_url(payment_id))
    expect(customer.get_by_test_id("receipt-refunded")).to_have_text("₹200.00")

    staff.reload()
    staff.wait_for_selector("#app-ready", state="attached")
    expect(staff.get_by_test_id("org-balance")).to_have_text("₹400.00")
    expect(staff.get_by_test_id("org-audit")).to_contain_text("Started a refund")


def test_a_direct_load_is_404_for_everyone_and_the_console_renders_for_staff(
    app: Page, app_server: str, app_database: str, browser: Browser
):
    signed_up(app, app_server, unique_email())
    answer = app.goto(app_server + routes.CONSOLE_ORGS)
    assert answer is not None and answer.status == 404
    expect(app.get_by_text(NOT_FOUND)).to_be_visible()
    expect(app.get_by_test_id("console-nav")).to_have_count(0)

    staff = staff_member(browser, app_server, app_database)
    answer = staff.goto(app_server + routes.CONSOLE_ORGS)
    assert answer is not None and answer.status == 404
    expect(staff.get_by_test_id("org-search")).to_be_visible()
    expect(staff).to_have_title("Orgs · Console · billing_app")
    expect(staff.get_by_text(NOT_FOUND)).to_have_count(0)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_console_page_is_the_unknown_page_to_non_staff(app: Page, app_server: str, signed_in: bool):
    if signed_in:
        signed_up(app, app_server, unique_email())
    answer = app.goto(app_server + "/no-such-page")
    assert answer is not None and answer.status == 404
    expect(app.get_by_text(NOT_FOUND)).to_be_visible()
    unknown = app.locator("body").inner_text()
    for path in CONSOLE_PATHS:
        answer = app.goto(app_server + path)
        assert answer is not None and answer.status == 404, path
        expect(app.get_by_text(NOT_FOUND)).to_be_visible()
        expect(app).to_have_title("404 - Not Found")
        assert app.locator("body").inner_text() == unknown, path
        assert "/login" not in app.url, path


def test_a_debit_posts_at_once_and_a_refund_below_zero_asks_first(
    app: Page, app_server: str, app_database: str, browser: Browser
):
    payment_id = paid_500(app, app_server)
    staff = staff_member(browser, app_server, app_database)
    goto(staff, app_server, routes.console_search_url(payment_id))
    staff.get_by_test_id("org-hits").get_by_test_id("org-link").click()
    staff.get_by_test_id("manual-open").click()
    dialog = staff.get_by_test_id("manual-dialog")
    dialog.get_by_role("radio", name="Debit").click()
    dialog.get_by_test_id("manual-amount").fill("550")
    dialog.get_by_test_id("manual-reason").fill("Usage billed outside the app")
    dialog.get_by_test_id("manual-submit").click()
    expect(staff.get_by_test_id("org-notice")).to_have_text("Debit of ₹550.00 posted.")
    expect(staff.get_by_test_id("org-balance")).to_have_text("₹50.00")

    order = staff.get_by_test_id("orders-table").get_by_test_id("order-row").filter(has_text=payment_id)
    order.get_by_test_id("refund-open").click()
    dialog = staff.get_by_test_id("refund-dialog")
    dialog.get_by_test_id("refund-amount").fill("200")
    dialog.get_by_test_id("refund-reason").fill("Duplicate top-up")
    dialog.get_by_test_id("refund-submit").click()
    expect(dialog.get_by_test_id("below-zero")).to_contain_text("would leave Acme Labs at")
    expect(dialog.get_by_test_id("below-zero")).not_to_contain_text("confirm_negative")
    dialog.get_by_test_id("confirm-negative").click()
    expect(staff.get_by_test_id("org-notice")).to_contain_text(f"Refund of ₹200.00 of {payment_id} sent")


def test_a_large_credit_waits_for_a_second_staff_member(
    app: Page, app_server: str, app_database: str, browser: Browser
):
    payment_id = paid_500(app, app_server)
    first = staff_member(browser, app_server, app_database)
    goto(first, app_server, routes.console_search_url(payment_id))
    first.get_by_test_id("org-hits").get_by_test_id("org-link").click()
    first.get_by_test_id("manual-open").click()
    dialog = first.get_by_test_id("manual-dialog")
    expect(dialog).to_contain_text("Above ₹10,000.00 either way")
    dialog.get_by_test_id("manual-amount").fill("20000")
    dialog.get_by_test_id("manual-reason").fill("Goodwill for the outage")
    dialog.get_by_test_id("manual-submit").click()
    expect(first.get_by_test_id("org-notice")).to_contain_text("waits for another staff member's approval")
    expect(first.get_by_test_id("org-balance")).to_have_text("₹600.00")

    goto(first, app_server, routes.CONSOLE_APPROVALS)
    request = first.get_by_test_id("approval-row").filter(has_text="Goodwill for the outage")
    first.get_by_test_id("approval-reason").fill("Looks right")
    request.get_by_test_id("approve").click()
    expect(request.get_by_test_id("form-error")).to_contain_text("another staff member has to approve it")

    second = staff_member(browser, app_server, app_database)
    goto(second, app_server, routes.CONSOLE_APPROVALS)
    request = second.get_by_test_id("approval-row").filter(has_text="Goodwill for the outage")
    second.get_by_test_id("approval-reason").fill("Checked the outage report")
    request.get_by_test_id("approve").click()
    expect(second.get_by_test_id("console-notice")).to_contain_text("₹20,000.00 posted")
    expect(request).to_have_count(0)
    goto(app, app_server, routes.BILLING)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹20,600.00")


def test_the_console_on_a_phone_and_the_attention_list(app: Page, app_server: str, app_database: str, browser: Browser):
    """Screenshots at 390 px (and the attention list at both widths) to look at; a delivery
    with a bad signature is listed with its body and processed again."""
    customer = app
    payment_id = paid_500(customer, app_server)
    forged = httpx.post(
        f"{app_server}/webhooks/razorpay",
        content=b'{"event": "payment.captured", "payload": {}}',
        headers={"X-Razorpay-Signature": "0" * 64, "X-Razorpay-Event-Id": "evt_forged_console"},
    )
    assert forged.status_code == 400
    staff = staff_member(browser, app_server, app_database, width=390)
    goto(staff, app_server, routes.CONSOLE)
    expect(staff.get_by_test_id("figure-balances-owed")).to_be_visible()
    shot(staff, "overview-390")
    goto(staff, app_server, routes.console_search_url(payment_id))
    staff.get_by_test_id("org-hit").filter(visible=True).first.get_by_test_id("org-link").click()
    expect(staff.get_by_test_id("org-balance")).to_be_visible()
    shot(staff, "org-390")
    staff.get_by_test_id("order-row").filter(visible=True).first.get_by_test_id("refund-open").click()
    expect(staff.get_by_test_id("refund-dialog")).to_be_visible()
    shot(staff, "refund-dialog-390")

    goto(staff, app_server, routes.CONSOLE_ATTENTION)
    forged_row = staff.get_by_test_id("failed-webhook").filter(has_text="evt_forged_console")
    expect(forged_row).to_contain_text("Signature failed")
    forged_row.get_by_text("Raw body").click()
    expect(forged_row.get_by_test_id("raw-body")).to_contain_text('"event": "payment.captured"')
    shot(staff, "attention-390")
    staff.set_viewport_size({"width": 1280, "height": 900})
    shot(staff, "attention-1280")
    forged_row.get_by_test_id("process-again").click()
    expect(staff.get_by_test_id("form-error")).to_contain_text("reason")
    staff.get_by_test_id("attention-reason").fill("Checking the forged delivery")
    forged_row.get_by_test_id("process-again").click()
    expect(staff.get_by_test_id("attention-results")).to_contain_text("signature still does not match")


def test_promo_codes_and_prices(app: Page, app_server: str, app_database: str, browser: Browser):
    staff = staff_member(browser, app_server, app_database)
    code = f"CONSOLE{unique_email()[3:13]}"
    goto(staff, app_server, routes.CONSOLE_PROMOS)
    staff.get_by_label("Code", exact=True).fill(code)
    staff.get_by_label("Bonus (amount, or % for percent)").fill("50")
    staff.get_by_label("At most this many uses").fill("100")
    staff.get_by_test_id("promo-create").click()  # no reason yet: the browser asks for it
    expect(staff.get_by_test_id("promo-row").filter(has_text=code)).to_have_count(0)
    staff.get_by_label("Reason (kept in the audit log)").fill("Diwali campaign")
    staff.get_by_test_id("promo-create").click()
    expect(staff.get_by_test_id("console-notice")).to_contain_text(f"{code} created")
    row = staff.get_by_test_id("promos-table").get_by_test_id("promo-row").filter(has_text=code)
    expect(row).to_contain_text("at most 100 uses")
    row.get_by_test_id("promo-disable").click()
    expect(staff.get_by_test_id("form-error")).to_contain_text("reason")
    staff.get_by_label("Reason for disabling a code").fill("Campaign over")
    row.get_by_test_id("promo-disable").click()
    expect(staff.get_by_test_id("console-notice")).to_have_text(f"{code} is disabled.")
    expect(row).to_contain_text("disabled")
    shot(staff, "promos-1280")

    goto(staff, app_server, routes.CONSOLE_PRICES)  # a model no other browser test bills with: they share one app
    row = staff.get_by_test_id("prices-table").get_by_test_id("price-row").filter(has_text="mistralai/mistral-small")
    row.get_by_test_id("price-edit").click()
    form = staff.get_by_test_id("price-form")
    form.get_by_label("Input per million tokens").fill("12.5")
    form.get_by_label("Reason (kept in the audit log)").fill("Provider raised prices")
    form.get_by_test_id("price-save").click()
    expect(staff.get_by_test_id("console-notice")).to_contain_text("mistralai/mistral-small: new rates apply")
    expect(row).to_contain_text("₹12.50")
    expect(row).to_contain_text("admin")
    shot(staff, "prices-1280")


def test_a_figure_opens_the_rows_behind_it(app: Page, app_server: str, app_database: str, browser: Browser):
    """Top-ups today on the overview opens the payments it counts; a row leads to the org."""
    payment_id = paid_500(app, app_server)
    staff = staff_member(browser, app_server, app_database)
    goto(staff, app_server, routes.CONSOLE)
    staff.get_by_test_id("figure-topups-today").click()
    staff.wait_for_url(f"**{routes.console_list_url('topups', 'today')}")
    expect(staff.get_by_test_id("list-title")).to_have_text("Top-ups, today")
    row = staff.get_by_test_id("list-table").get_by_test_id("list-row").filter(has_text=payment_id)
    expect(row).to_contain_text("₹500.00")
    shot(staff, "topups-today-1280")
    staff.set_viewport_size({"width": 390, "height": 900})
    expect(staff.get_by_test_id("list-row").filter(visible=True).filter(has_text=payment_id)).to_be_visible()
    shot(staff, "topups-today-390")
    staff.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_test_id("list-org").click()
    staff.wait_for_url(re.compile(r".*/console/orgs/\d+$"))
    expect(staff.get_by_test_id("org-balance")).to_have_text("₹600.00")
    goto(staff, app_server, routes.console_list_url("outbox_backlog"))
    expect(staff.get_by_test_id("list-title")).to_have_text("Email backlog")
    shot(staff, "backlog-1280")
