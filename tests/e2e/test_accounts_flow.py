"""Sign up in the browser, see the signup credit, sign out and back in."""

from __future__ import annotations

import itertools
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.app_process import emailed_link
from tests.e2e.conftest import goto, screenshot

pytestmark = pytest.mark.e2e
_n = itertools.count()
PASSWORD = "correct horse battery"


def unique_email() -> str:
    return f"e2e{int(time.time() * 1000)}{next(_n)}@example.com"


def submit_signup(page: Page, base_url: str, email: str) -> None:
    goto(page, base_url, "/signup")
    page.get_by_label("Your name").fill("Asha Rao")
    page.get_by_label("Organisation name").fill("Acme Labs")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def submit_sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """On the Sign in page: fill the form and press the button."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login")


def sign_up(page: Page, base_url: str, email: str, *, verify: bool = True) -> None:
    """Sign up in the browser; `verify` then opens the link of the email the app sent (to the
    test's SMTP server), as the person would, and comes back to Billing."""
    submit_signup(page, base_url, email)
    page.wait_for_url("**/billing")
    if verify:
        page.goto(emailed_link(base_url, email))
        expect(page.get_by_test_id("verify-outcome")).to_contain_text("signup credit")
        goto(page, base_url, "/billing")


def signed_up(page: Page, base_url: str, email: str) -> None:
    """An account made and verified through the REST API, then this browser signed in with its
    session, on Billing: for tests of what comes after sign-up (the sign-up, verification and
    sign-in pages have tests of their own, with `sign_up`)."""
    body = {"email": email, "password": PASSWORD, "name": "Asha Rao", "org_name": "Acme Labs"}
    made = httpx.post(f"{base_url}/auth/signup", json=body, timeout=30)
    assert made.status_code == 201, made.text
    token = parse_qs(urlparse(emailed_link(base_url, email)).query)["token"][0]
    verified = httpx.post(f"{base_url}/auth/verify", json={"token": token}, timeout=30)
    assert verified.status_code == 200, verified.text
    goto(page, base_url, "/login")
    page.evaluate("token => localStorage.setItem('billing_session', token)", made.json()["token"])
    goto(page, base_url, "/billing")
    expect(page.get_by_test_id("header-balance")).to_have_text("₹100.00")


def test_signup_shows_credit_then_logout_and_login(app: Page, app_server: str):
    email = unique_email()
    sign_up(app, app_server, email)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    rows = app.get_by_test_id("history-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Signup credit")
    expect(rows.first).to_contain_text("+₹100.00")
    expect(rows.first).to_contain_text("IST")
    screenshot(app, "billing-after-signup")

    sign_out(app)
    goto(app, app_server, "/billing")  # signed out: sent to the login page
    app.wait_for_url("**/login")

    submit_sign_in(app, email)
    app.wait_for_url("**/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    expect(app.get_by_test_id("history-row")).to_have_count(1)


def test_wrong_password_shows_an_error(app: Page, app_server: str):
    goto(app, app_server, "/login")
    submit_sign_in(app, "nobody@example.com", "wrong password")
    expect(app.get_by_test_id("form-error")).to_contain_text("Wrong email or password")
    screenshot(app, "login-error")


def test_duplicate_signup_shows_a_clear_error(app: Page, app_server: str):
    email = unique_email()
    signed_up(app, app_server, email)
    sign_out(app)
    submit_signup(app, app_server, email)
    expect(app.get_by_test_id("form-error")).to_contain_text("already exists")


def test_narrow_screen_keeps_the_balance_visible(app: Page, app_server: str):
    app.set_viewport_size({"width": 390, "height": 844})
    signed_up(app, app_server, unique_email())
    expect(app.get_by_test_id("header-balance")).to_be_visible()
    item = app.get_by_test_id("history-item")
    expect(item).to_be_visible()
    expect(item).to_contain_text("+₹100.00")
    expect(app.get_by_test_id("history-table")).to_be_hidden()
    screenshot(app, "billing-narrow")


def test_dashboard_shows_balance_and_where_to_go(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    goto(app, app_server, "/")
    expect(app.get_by_test_id("balance-card-amount")).to_have_text("₹100.00")
    expect(app.get_by_test_id("dashboard-today")).to_have_text("₹0.00")  # nothing spent yet
    expect(app.get_by_test_id("dashboard-last-30")).to_have_text("₹0.00")
    expect(app.get_by_text("0 requests")).to_have_count(2)
    for tile in ("Billing", "Usage", "API keys", "Settings"):
        expect(app.get_by_role("link", name=tile).last).to_be_visible()
    screenshot(app, "dashboard")
