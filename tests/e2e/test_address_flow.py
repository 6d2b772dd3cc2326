"""The billing address form: PIN autofill, district choice, unknown PINs, saving and going back."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import signed_up, unique_email

pytestmark = pytest.mark.e2e
FORM = "/billing/address?next=/billing"


def _on_billing(url: str) -> bool:
    return urlparse(url).path == "/billing"


def _fill_name_and_street(page: Page) -> None:
    page.get_by_label("Name (person or company)").fill("Acme Labs Pvt Ltd")
    page.get_by_label("Address line 1").fill("1 MG Road")


def test_pin_fills_city_and_state_then_save_returns_to_billing(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    card = app.get_by_test_id("address-card")
    expect(card.get_by_test_id("address-missing")).to_contain_text("No billing address yet")
    screenshot(app, "address-billing-card-empty")

    card.get_by_test_id("address-edit").click()
    app.wait_for_url("**/billing/address?next=/billing")
    app.wait_for_selector("#app-ready", state="attached")
    app.get_by_label("PIN code").fill("560001")
    expect(app.get_by_label("City")).to_have_value("Bengaluru Urban")
    expect(app.get_by_label("State", exact=True)).to_contain_text("Karnataka (29)")
    expect(app.get_by_test_id("pin-filled")).to_contain_text("Karnataka (29) · Bengaluru Urban")
    expect(app.get_by_test_id("pin-data-credit")).to_contain_text("data.gov.in")
    _fill_name_and_street(app)

    app.get_by_label("GSTIN (optional)").fill("27AAGCB7383J1Z5")  # Maharashtra's, not Karnataka's
    app.get_by_role("button", name="Save address").click()
    expect(app.get_by_test_id("error-gstin")).to_contain_text("billing state is Karnataka (29)")
    screenshot(app, "address-gstin-error")
    app.get_by_label("GSTIN (optional)").fill("29aagcb7383j1z4")
    expect(app.get_by_test_id("error-gstin")).to_have_count(0)
    screenshot(app, "address-filled")

    app.get_by_role("button", name="Save address").click()
    app.wait_for_url(_on_billing)
    summary = app.get_by_test_id("address-summary")
    expect(summary).to_contain_text("Acme Labs Pvt Ltd")
    expect(summary).to_contain_text("Bengaluru Urban, Karnataka 560001")
    expect(summary).to_contain_text("GSTIN 29AAGCB7383J1Z4")
    screenshot(app, "address-billing-card-saved")

    goto(app, app_server, FORM)  # the saved address comes back into the form
    expect(app.get_by_label("City")).to_have_value("Bengaluru Urban")
    expect(app.get_by_label("PIN code")).to_have_value("560001")
    expect(app.get_by_label("GSTIN (optional)")).to_have_value("29AAGCB7383J1Z4")


def test_multi_district_pin_offers_a_choice(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    goto(app, app_server, FORM)
    app.get_by_label("PIN code").fill("110003")
    choice = app.get_by_test_id("district-choice")
    expect(choice).to_be_visible()
    expect(app.get_by_label("State", exact=True)).to_contain_text("Delhi (07)")
    expect(app.get_by_label("City")).to_have_value("")
    screenshot(app, "address-district-choice")
    choice.click()
    app.get_by_role("option", name="South East").click()
    expect(app.get_by_label("City")).to_have_value("South East")
    app.get_by_label("City").fill("South East Delhi")  # still editable
    _fill_name_and_street(app)
    app.get_by_role("button", name="Save address").click()
    app.wait_for_url(_on_billing)
    expect(app.get_by_test_id("address-summary")).to_contain_text("South East Delhi, Delhi 110003")


def test_unknown_pin_is_gentle_and_manual_entry_saves(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    goto(app, app_server, FORM)
    app.get_by_label("PIN code").fill("999999")
    expect(app.get_by_test_id("pin-message")).to_contain_text("couldn't find this PIN")
    _fill_name_and_street(app)
    app.get_by_role("button", name="Save address").click()
    expect(app.get_by_test_id("error-city")).to_contain_text("City is required")
    app.get_by_label("City").fill("Panaji")
    app.get_by_role("button", name="Save address").click()
    expect(app.get_by_test_id("error-state_code")).to_contain_text("Choose a state")
    app.get_by_label("State", exact=True).click()
    app.get_by_role("option", name="Goa (30)").click()
    expect(app.get_by_test_id("error-state_code")).to_have_count(0)
    screenshot(app, "address-unknown-pin")
    app.get_by_role("button", name="Save address").click()
    app.wait_for_url(_on_billing)
    expect(app.get_by_test_id("address-summary")).to_contain_text("Panaji, Goa 999999")


def test_narrow_screen_form(app: Page, app_server: str):
    app.set_viewport_size({"width": 390, "height": 844})
    signed_up(app, app_server, unique_email())
    expect(app.get_by_test_id("address-card")).to_be_visible()
    screenshot(app, "address-billing-card-narrow")
    goto(app, app_server, FORM)
    app.get_by_label("PIN code").fill("110003")
    expect(app.get_by_test_id("district-choice")).to_be_visible()
    pin_box = app.get_by_label("PIN code").bounding_box()
    city_box = app.get_by_label("City").bounding_box()
    assert pin_box is not None and city_box is not None
    assert city_box["y"] > pin_box["y"]  # one column: City below PIN, not beside it
    assert pin_box["x"] + pin_box["width"] <= 390
    screenshot(app, "address-form-narrow")


def test_unsafe_next_is_ignored(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    goto(app, app_server, "/billing/address?next=//evil.example/")
    app.get_by_label("PIN code").fill("560001")
    expect(app.get_by_label("City")).to_have_value("Bengaluru Urban")
    _fill_name_and_street(app)
    app.get_by_role("button", name="Save address").click()
    app.wait_for_url(_on_billing)
    assert urlparse(app.url).netloc.startswith("127.0.0.1")
