"""The Activity page: audited actions done in the browser appear there, newest first; filter
them, page them, download them as CSV. And the header's organisation switcher: a person in
two orgs moves to the other, and the balance and the Activity page become that org's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from billing_app.ist import ist_day
from billing_app.models.types import utcnow
from tests.e2e.app_process import emailed_link
from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import PASSWORD, signed_up, unique_email
from tests.e2e.test_settings_flow import LABEL
from tests.e2e.test_usage_flow import create_key

pytestmark = pytest.mark.e2e


def open_activity(page: Page) -> None:
    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("menu-activity").click()
    page.wait_for_url("**/activity")


def choose(page: Page, label: str) -> None:
    page.get_by_test_id("activity-filter").click()
    page.get_by_role("option", name=label).click()


def download_csv(page: Page) -> list[dict[str, str]]:
    with page.expect_download() as done:
        page.get_by_test_id("activity-download").click()
    assert done.value.suggested_filename.startswith("activity-")
    return list(csv.DictReader(io.StringIO(done.value.path().read_text(encoding="utf-8"))))


def both_widths(page: Page, name: str) -> None:
    expect(page.locator("[data-sonner-toast]")).to_have_count(0)  # an earlier page's toast has gone
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_audited_actions_appear_filter_and_download(app: Page, app_server: str):
    app.set_viewport_size({"width": 1280, "height": 900})
    email = unique_email()
    signed_up(app, app_server, email)
    create_key(app, app_server, "e2e activity")
    goto(app, app_server, "/settings")
    app.get_by_label(LABEL).fill("1,500")
    app.get_by_role("button", name="Set alert").click()
    expect(app.get_by_test_id("settings-threshold")).to_have_text("₹1,500.00")

    open_activity(app)
    table = app.get_by_test_id("activity-table")
    rows = table.get_by_test_id("activity-row")
    expect(rows).to_have_count(4)  # signed up, verified, key created, alert changed
    expect(rows.nth(0)).to_contain_text("Changed the low-balance alert")
    expect(rows.nth(0)).to_contain_text("threshold: none → ₹1,500.00")
    expect(rows.nth(0)).to_contain_text(email)
    expect(rows.nth(0)).to_contain_text("IST")
    expect(rows.nth(1)).to_contain_text("Created an API key")
    expect(rows.nth(1)).to_contain_text("monthly budget: ₹50.00")
    expect(rows.nth(3)).to_contain_text("Signed up")
    both_widths(app, "activity")

    choose(app, "API keys")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Created an API key")
    [key_row] = download_csv(app)
    assert (key_row["action"], key_row["actor"]) == ("key.created", email)
    assert '"name": "e2e activity"' in key_row["after"] and key_row["time_ist"].endswith("+05:30")

    choose(app, "All activity")
    expect(rows).to_have_count(4)
    everything = download_csv(app)
    assert [row["action"] for row in everything] == [
        "alert.threshold_changed",
        "key.created",
        "user.email_verified",
        "user.signed_up",
    ]
    assert everything[0]["after"] == '{"threshold_micros": 1500000000}'

    today = ist_day(utcnow())
    app.get_by_label("From (IST)").fill(today.isoformat())
    expect(rows).to_have_count(4)
    app.get_by_label("To (IST)").fill((today - timedelta(days=1)).isoformat())
    expect(app.get_by_text("Pick the first day on or before the last.")).to_be_visible()
    app.get_by_label("From (IST)").fill("")
    expect(app.get_by_test_id("activity-empty").first).to_be_visible()  # nothing before today

    app.get_by_label("To (IST)").fill("")
    choose(app, "Members")
    expect(app.get_by_test_id("activity-empty").first).to_be_visible()
    both_widths(app, "activity-empty")


def join_org(base_url: str, owner_token: str, email: str, role: str) -> None:
    """The person with `email` joins the owner's org as `role`: invited over the API, and the
    emailed invitation accepted in another session of theirs (their browser's stays put)."""
    invited = httpx.post(f"{base_url}/me/members", json={"email": email, "role": role}, headers=bearer(owner_token))
    assert invited.status_code == 201, invited.text
    token = parse_qs(urlsplit(emailed_link(base_url, email, "Join")).query)["token"][0]
    elsewhere = httpx.post(f"{base_url}/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    joined = httpx.post(f"{base_url}/auth/invitations/accept", json={"token": token}, headers=bearer(elsewhere))
    assert joined.status_code == 200, joined.text


def zen_studio(base_url: str, email: str = "") -> dict[str, Any]:
    """Another person's org, "Zen Studio", signed up over the API and not verified (₹0.00)."""
    body = {"email": email or unique_email(), "password": PASSWORD, "name": "Ravi K", "org_name": "Zen Studio"}
    made = httpx.post(f"{base_url}/auth/signup", json=body)
    assert made.status_code == 201, made.text
    return made.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_switching_org_in_the_header_shows_that_orgs_balance_and_role(app: Page, app_server: str):
    app.set_viewport_size({"width": 1280, "height": 900})
    other = zen_studio(app_server)  # not verified: its balance is ₹0.00
    email = unique_email()
    signed_up(app, app_server, email)
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    join_org(app_server, other["token"], email, "developer")

    app.get_by_test_id("account-menu").click()
    expect(app.get_by_test_id("current-org")).to_have_text("Acme Labs")
    choice = app.get_by_test_id("switch-org")
    expect(choice).to_have_count(1)
    expect(choice).to_contain_text("Zen Studio")
    expect(choice).to_contain_text("developer · ₹0.00")
    screenshot(app, "org-switcher")
    choice.click()

    expect(app.get_by_test_id("header-balance")).to_have_text("₹0.00")
    app.get_by_test_id("account-menu").click()
    expect(app.get_by_test_id("current-org")).to_have_text("Zen Studio")
    expect(app.get_by_test_id("switch-org")).to_contain_text("Acme Labs")
    expect(app.get_by_test_id("menu-activity")).to_have_count(0)  # a developer there: not offered
    app.keyboard.press("Escape")
    goto(app, app_server, "/activity")  # and refused when opened anyway
    expect(app.get_by_test_id("role-refusal")).to_contain_text("does not allow you to see the activity log")
    expect(app.get_by_test_id("activity-table")).to_have_count(0)
    screenshot(app, "activity-forbidden")

    app.get_by_test_id("account-menu").click()
    app.get_by_test_id("switch-org").click()  # back: owner again, the log is there
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    expect(app.get_by_test_id("activity-table").get_by_test_id("activity-row").first).to_contain_text(
        "Switched to this organisation"
    )


def test_load_more_pages_through_the_log(app: Page, app_server: str):
    email = unique_email()
    signed_up(app, app_server, email)
    with httpx.Client(base_url=app_server, timeout=20) as client:  # a second device, over the API
        token = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
        for n in range(50):
            made = client.post("/me/keys", json={"name": f"key {n}"}, headers={"Authorization": f"Bearer {token}"})
            assert made.status_code == 201, made.text

    goto(app, app_server, "/activity")
    rows = app.get_by_test_id("activity-table").get_by_test_id("activity-row")
    expect(rows).to_have_count(50)  # a page: the 50 keys, newest first
    expect(rows.first).to_contain_text("name: key 49")
    app.get_by_test_id("activity-more").click()
    expect(rows).to_have_count(53)  # and the sign-in, the verification, the sign-up
    expect(rows.last).to_contain_text("Signed up")
    expect(app.get_by_test_id("activity-more")).to_have_count(0)
