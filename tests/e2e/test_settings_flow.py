"""The low-balance alert on /settings: set the threshold, see it beside the balance,
change it, clear it; and the same on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import signed_up, unique_email

pytestmark = pytest.mark.e2e
LABEL = "Email me when the balance drops below"


def test_set_change_and_clear_the_threshold(app: Page, app_server: str):
    email = unique_email()
    signed_up(app, app_server, email)
    goto(app, app_server, "/settings")
    expect(app.get_by_test_id("settings-balance")).to_have_text("₹100.00")
    expect(app.get_by_test_id("settings-threshold")).to_contain_text("Off")
    expect(app.get_by_text("One email at most every 24 hours, to the org owner's email")).to_be_visible()
    expect(app.get_by_text(email)).to_be_visible()
    expect(app.get_by_test_id("alert-clear")).to_have_count(0)
    screenshot(app, "settings-alert-off")

    app.get_by_label(LABEL).fill("1,500")
    app.get_by_role("button", name="Set alert").click()
    expect(app.get_by_test_id("settings-threshold")).to_have_text("₹1,500.00")
    expect(app.get_by_test_id("settings-balance")).to_have_text("₹100.00")
    expect(app.get_by_test_id("below-threshold")).to_contain_text("below the threshold")
    screenshot(app, "settings-alert-set")

    goto(app, app_server, "/settings")  # kept, and back in the input
    expect(app.get_by_test_id("settings-threshold")).to_have_text("₹1,500.00")
    expect(app.get_by_label(LABEL)).to_have_value("1500")

    app.get_by_label(LABEL).fill("abc")
    app.get_by_role("button", name="Update threshold").click()
    expect(app.get_by_test_id("form-error")).to_contain_text("Enter the threshold as an amount")
    app.get_by_label(LABEL).fill("50.5")
    expect(app.get_by_test_id("form-error")).to_have_count(0)
    app.get_by_role("button", name="Update threshold").click()
    expect(app.get_by_test_id("settings-threshold")).to_have_text("₹50.50")
    expect(app.get_by_test_id("below-threshold")).to_have_count(0)
    screenshot(app, "settings-alert-changed")

    app.get_by_test_id("alert-clear").click()
    expect(app.get_by_test_id("settings-threshold")).to_contain_text("Off")
    expect(app.get_by_label(LABEL)).to_have_value("")
    goto(app, app_server, "/settings")
    expect(app.get_by_test_id("settings-threshold")).to_contain_text("Off")
    screenshot(app, "settings-alert-cleared")


def test_narrow_screen_shows_threshold_and_balance(app: Page, app_server: str):
    app.set_viewport_size({"width": 390, "height": 844})
    signed_up(app, app_server, unique_email())
    goto(app, app_server, "/settings")
    expect(app.get_by_test_id("settings-threshold")).to_contain_text("Off")
    screenshot(app, "settings-narrow-off")
    app.get_by_label(LABEL).fill("100000")
    app.get_by_role("button", name="Set alert").click()
    threshold = app.get_by_test_id("settings-threshold")
    expect(threshold).to_have_text("₹1,00,000.00")
    balance = app.get_by_test_id("settings-balance")
    expect(balance).to_be_visible()
    expect(app.get_by_test_id("header-balance")).to_be_visible()
    # Side by side: the same row, the threshold to the right of the balance.
    left, right = balance.bounding_box(), threshold.bounding_box()
    assert left is not None and right is not None
    assert abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"] + left["width"]
    assert right["x"] + right["width"] <= 390
    screenshot(app, "settings-narrow")
