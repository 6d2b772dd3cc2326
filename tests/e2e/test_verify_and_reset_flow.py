"""Verify the email from the link the app sent; forget the password and reset it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.app_process import emailed_link
from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import PASSWORD, sign_out, sign_up, signed_up, submit_sign_in, unique_email

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a brand new passphrase"


def test_signup_waits_for_verification_then_the_link_grants_the_credit(app: Page, app_server: str):
    email = unique_email()
    sign_up(app, app_server, email, verify=False)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹0.00")
    notice = app.get_by_test_id("verify-notice")
    expect(notice).to_contain_text(email)
    screenshot(app, "billing-unverified")
    app.set_viewport_size({"width": 390, "height": 844})
    screenshot(app, "billing-unverified-narrow")
    app.set_viewport_size({"width": 1280, "height": 900})
    app.get_by_test_id("resend-verification").click()
    expect(notice).to_contain_text("A new link is on its way")

    app.goto(emailed_link(app_server, email, at_least=2))  # the newest: the resent one
    expect(app.get_by_test_id("verify-outcome")).to_contain_text("₹100.00 of signup credit")
    screenshot(app, "verify-email-done")
    goto(app, app_server, "/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    expect(app.get_by_test_id("verify-notice")).to_have_count(0)

    app.goto(emailed_link(app_server, email, at_least=2))  # that used link is refused, no second credit
    expect(app.get_by_test_id("verify-outcome")).to_contain_text("expired or was already used")
    goto(app, app_server, "/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")


def test_forgot_password_email_reset_and_sign_in(app: Page, app_server: str):
    email = unique_email()
    signed_up(app, app_server, email)
    sign_out(app)

    app.get_by_role("link", name="Forgot password?").click()
    app.wait_for_url("**/forgot-password")
    app.get_by_label("Email").fill(email)
    app.get_by_role("button", name="Email me a link").click()
    expect(app.get_by_test_id("forgot-sent")).to_contain_text("a link is on its way")
    screenshot(app, "forgot-password-sent")

    app.goto(emailed_link(app_server, email, subject_starts="Reset your"))
    app.get_by_label("New password").fill(NEW_PASSWORD)
    app.get_by_role("button", name="Set the new password").click()
    expect(app.get_by_test_id("reset-done")).to_be_visible()
    screenshot(app, "reset-password-done")

    goto(app, app_server, "/login")
    submit_sign_in(app, email)
    expect(app.get_by_text("Wrong email or password.")).to_be_visible()
    submit_sign_in(app, email, NEW_PASSWORD)
    app.wait_for_url("**/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")


def test_security_lists_sessions_signs_out_others_and_changes_the_password(app: Page, app_server: str, browser):
    email = unique_email()
    sign_up(app, app_server, email)
    other = browser.new_context().new_page()  # a second device
    goto(other, app_server, "/login")
    submit_sign_in(other, email)
    other.wait_for_url("**/billing")

    app.get_by_test_id("account-menu").click()
    app.get_by_test_id("menu-security").click()
    app.wait_for_url("**/settings/security")
    table = app.get_by_test_id("sessions-table")
    expect(table.get_by_test_id("session-row")).to_have_count(2)
    expect(table).to_contain_text("This device")
    expect(table).to_contain_text("Chrome on Linux")
    screenshot(app, "security-sessions")
    app.set_viewport_size({"width": 390, "height": 844})
    screenshot(app, "security-sessions-narrow")
    app.set_viewport_size({"width": 1280, "height": 900})

    app.get_by_test_id("end-other-sessions").click()
    expect(app.get_by_test_id("security-notice")).to_contain_text("Signed out of 1 other session")
    expect(table.get_by_test_id("session-row")).to_have_count(1)
    goto(other, app_server, "/billing")  # the other device is signed out
    other.wait_for_url("**/login")

    app.get_by_label("Current password").fill("not my password")
    app.get_by_label("New password").fill(NEW_PASSWORD)
    app.get_by_role("button", name="Change password").click()
    expect(app.get_by_text("Your current password is not right.")).to_be_visible()
    app.get_by_label("Current password").fill(PASSWORD)
    app.get_by_label("New password").fill(NEW_PASSWORD)
    app.get_by_role("button", name="Change password").click()
    expect(app.get_by_test_id("security-notice")).to_contain_text("Your password is changed.")
    screenshot(app, "security-password-changed")
