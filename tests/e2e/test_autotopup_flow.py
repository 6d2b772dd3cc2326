"""Auto top-up in the browser, with the app's own sandbox: authorise a UPI mandate in the
sandbox's Checkout, set the rule and switch it on, spend past the floor with an API key, let
the job notify (the pre-debit email arrives at the test SMTP server), move the sandbox's clock
past the notice lead time, run the job as at that moment, and see the top-up credited: the
header's balance, the "Auto top-up via Razorpay" row on Billing and its receipt."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.app_process import MAILBOXES, ROOT
from tests.e2e.conftest import goto
from tests.e2e.test_accounts_flow import signed_up, unique_email

pytestmark = pytest.mark.e2e
SANDBOX = "/sandbox/razorpay/_control"
LEAD = timedelta(hours=25)  # UPI's notice lead time (the configured default)
SHOTS = Path(os.environ.get("AUTOTOPUP_SHOTS", ROOT / "artifacts"))


def both_widths(page: Page, name: str) -> None:
    """The page at 1280 and at 390 px wide, whole."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(400)  # the layout settles (and dialogs finish closing) before the picture
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(400)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def auto_topup_job(base_url: str, database_url: str, at: datetime | None = None) -> str:
    """One pass of the job (`python -m billing_app.cli auto-topup`) against the running app's
    database and its sandbox, as at `at` (the sandbox's moved clock) or now."""
    address = urlparse(base_url)
    env = dict(os.environ, DATABASE_URL=database_url, HOST=str(address.hostname), PORT=str(address.port))
    args = [sys.executable, "-m", "billing_app.cli", "auto-topup"]
    if at is not None:
        args += ["--at", at.isoformat()]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sandbox_now(base_url: str) -> datetime:
    answer = httpx.get(f"{base_url}{SANDBOX}/clock", timeout=10)
    answer.raise_for_status()
    return datetime.fromtimestamp(answer.json()["now"], UTC)


def move_sandbox_clock(base_url: str, by: timedelta) -> datetime:
    httpx.post(f"{base_url}{SANDBOX}/clock", json={"advance": int(by.total_seconds())}, timeout=10).raise_for_status()
    return sandbox_now(base_url)


def new_key(page: Page, base_url: str) -> str:
    """An API key with no monthly budget, made on the Keys page; its secret."""
    goto(page, base_url, "/keys")
    page.get_by_label("Key name").fill("production")
    page.get_by_test_id("create-key").click()
    secret = page.get_by_test_id("new-key-secret")
    expect(secret).to_contain_text("sk-live-")
    return secret.inner_text().strip()


def spend(base_url: str, key: str, completion_tokens: int) -> int:
    """One metered request; the balance after it (micros)."""
    answer = httpx.post(
        f"{base_url}/v1/billing/usage",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "request_id": f"e2e-{unique_email()}",
            "model": "sandbox-echo",
            "prompt_tokens": 0,
            "completion_tokens": completion_tokens,
        },
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance_micros"])


def open_auto_topup(page: Page, base_url: str) -> None:
    goto(page, base_url, "/settings")
    page.get_by_test_id("settings-auto-topup").click()
    page.wait_for_url("**/settings/auto-topup")
    page.wait_for_selector("#app-ready", state="attached")


def authorise_upi_mandate(page: Page) -> None:
    expect(page.get_by_test_id("no-mandate")).to_be_visible()
    page.get_by_test_id("authorise-mandate").click()
    modal = page.get_by_test_id("rzp-sandbox-modal")
    expect(modal).to_be_visible()
    expect(page.get_by_test_id("rzp-mandate")).to_contain_text("Authorise auto-debits")
    page.get_by_test_id("rzp-pay").click()
    # the bank's confirmation (token.confirmed) arrives as a webhook; the page waits for it
    expect(page.get_by_test_id("mandate-instrument")).to_have_text("success@razorpay")
    expect(page.get_by_test_id("mandate-maximum-shown")).to_have_text("₹15,000")


def switch_on(page: Page, amount: str = "500", floor: str = "90", cap: str = "2000") -> None:
    page.get_by_label("Top up by").fill(amount)
    page.get_by_label("Before the balance falls below").fill(floor)
    page.get_by_label("At most per month").fill(cap)
    page.get_by_test_id("autotopup-switch").click()
    expect(page.get_by_test_id("autotopup-status")).to_contain_text("Auto top-up is on")
    expect(page.locator("[data-sonner-toast]")).to_contain_text("Auto top-up is on.")


def notified(page: Page, base_url: str, database_url: str, email: str) -> None:
    """Spend past the floor, then run the job: a top-up of ₹500 is notified, by email too."""
    key = new_key(page, base_url)
    assert spend(base_url, key, 1_000_000) < 90_000_000  # below the ₹90 floor
    auto_topup_job(base_url, database_url)
    link = MAILBOXES[base_url].link_in_email(email, "Auto top-up of ₹500")
    assert link.endswith("/settings/auto-topup")
    goto(page, base_url, "/settings/auto-topup")
    expect(page.get_by_test_id("pending-debit")).to_contain_text("A top-up of ₹500 is scheduled")


def test_authorise_set_the_rule_spend_and_see_the_top_up_credited(app: Page, app_server: str, app_database: str):
    email = unique_email()
    signed_up(app, app_server, email)
    open_auto_topup(app, app_server)
    expect(app.get_by_test_id("autotopup-explanation")).to_contain_text("₹15,000")
    expect(app.get_by_test_id("dry-run-card")).to_contain_text("Press “Dry run”")
    both_widths(app, "autotopup-no-mandate")

    authorise_upi_mandate(app)
    # a rule the service refuses says why, in the field
    app.get_by_label("Top up by").fill("50")
    app.get_by_label("Before the balance falls below").fill("90")
    app.get_by_label("At most per month").fill("2000")
    app.get_by_test_id("save-rule").click()
    expect(app.get_by_test_id("error-amount")).to_contain_text("between ₹100 and ₹1,000")
    switch_on(app)
    expect(app.get_by_test_id("autotopup-sentence")).to_contain_text("₹500")
    both_widths(app, "autotopup-confirmed")

    notified(app, app_server, app_database, email)
    pending = app.get_by_test_id("pending-debit")
    expect(pending).to_contain_text("IST")
    expect(pending).to_contain_text("autotopup_")
    both_widths(app, "autotopup-pending")

    app.get_by_test_id("run-dry-run").click()
    expect(app.get_by_test_id("dry-run-result")).to_be_visible()
    expect(app.get_by_test_id("dry-run-lowest")).to_contain_text("₹")
    both_widths(app, "autotopup-dry-run")

    # before the lead time nothing is charged; after it, the next pass charges the mandate
    balance_before = app.get_by_test_id("header-balance").inner_text()
    later = move_sandbox_clock(app_server, LEAD + timedelta(minutes=5))
    auto_topup_job(app_server, app_database, at=later)
    auto_topup_job(app_server, app_database, at=later + timedelta(minutes=1))  # follows the debit
    goto(app, app_server, "/billing")
    expect(app.get_by_test_id("header-balance")).not_to_have_text(balance_before)
    row = app.get_by_test_id("history-table").get_by_test_id("history-row").first
    expect(row).to_contain_text("Auto top-up via Razorpay (₹500)")
    expect(row).to_contain_text("+₹500.00")
    row.get_by_test_id("receipt-link").click()
    app.wait_for_url("**/billing/receipts/pay_*")
    expect(app.get_by_test_id("receipt-amount")).to_have_text("₹500.00")


def test_skip_a_notified_top_up(app: Page, app_server: str, app_database: str):
    email = unique_email()
    signed_up(app, app_server, email)
    open_auto_topup(app, app_server)
    authorise_upi_mandate(app)
    switch_on(app)
    notified(app, app_server, app_database, email)
    app.get_by_test_id("skip-debit").click()
    expect(app.get_by_test_id("pending-debit")).to_have_count(0)
    # the job, even past the lead time, does not charge it
    later = move_sandbox_clock(app_server, LEAD + timedelta(minutes=5))
    auto_topup_job(app_server, app_database, at=later)
    goto(app, app_server, "/billing")
    expect(app.get_by_test_id("history-table")).not_to_contain_text("Auto top-up via Razorpay")


def test_cancel_the_mandate_with_a_top_up_notified(app: Page, app_server: str, app_database: str):
    email = unique_email()
    signed_up(app, app_server, email)
    open_auto_topup(app, app_server)
    authorise_upi_mandate(app)
    switch_on(app)
    notified(app, app_server, app_database, email)
    # cancelling the mandate (after a confirmation) turns auto top-up off and says why; the
    # notified top-up will not be charged
    app.get_by_test_id("cancel-mandate").click()
    app.get_by_test_id("confirm-cancel").click()
    expect(app.get_by_test_id("mandate-stopped")).to_contain_text("cancelled")
    expect(app.get_by_test_id("autotopup-status")).to_contain_text("Auto top-up is off")
    expect(app.get_by_test_id("off-why")).to_contain_text("You cancelled the mandate.")
    expect(app.get_by_test_id("authorise-mandate")).to_be_visible()
    expect(app.get_by_test_id("withdrawn-debit")).to_contain_text("will not be charged")
    expect(app.get_by_test_id("skip-debit")).to_have_count(0)
    both_widths(app, "autotopup-cancelled")
    # past the lead time the job withdraws it instead of charging it (other tests' orgs may be
    # charged in the same pass: the sandbox's clock is shared)
    later = move_sandbox_clock(app_server, LEAD + timedelta(minutes=5))
    auto_topup_job(app_server, app_database, at=later)
    goto(app, app_server, "/settings/auto-topup")
    expect(app.get_by_test_id("mandate-card")).to_be_visible()
    expect(app.get_by_test_id("withdrawn-debit")).to_have_count(0)
    expect(app.get_by_test_id("pending-debit")).to_have_count(0)
    goto(app, app_server, "/billing")
    expect(app.get_by_test_id("history-table")).not_to_contain_text("Auto top-up via Razorpay")


def test_a_card_mandate_waits_for_the_banks_confirmation(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    open_auto_topup(app, app_server)
    app.get_by_role("radio", name="Card").click()
    app.get_by_test_id("mandate-maximum").click()
    app.get_by_role("option", name="₹5,000").click()
    httpx.post(f"{app_server}{SANDBOX}/faults", json={"webhook_drop": True}, timeout=10).raise_for_status()
    try:
        app.get_by_test_id("authorise-mandate").click()
        expect(app.get_by_test_id("rzp-mandate")).to_contain_text("₹5,000")
        app.get_by_test_id("rzp-pay").click()
        # Razorpay's webhooks are lost for now: checkout said yes, the bank has not
        expect(app.get_by_test_id("mandate-waiting")).to_contain_text("Waiting for the bank's confirmation")
        expect(app.get_by_test_id("autotopup-switch")).to_be_disabled()
        both_widths(app, "autotopup-waiting")
    finally:
        httpx.delete(f"{app_server}{SANDBOX}/faults", timeout=10).raise_for_status()
    dropped = httpx.get(f"{app_server}{SANDBOX}/webhooks", params={"status": "dropped"}, timeout=10).json()["items"]
    assert dropped
    for delivery in dropped:
        httpx.post(f"{app_server}{SANDBOX}/webhooks/{delivery['event_id']}/redeliver", timeout=10).raise_for_status()
    # the page is still asking: the confirmation shows up by itself
    expect(app.get_by_test_id("mandate-instrument")).to_contain_text("•••• 1111")
    expect(app.get_by_test_id("mandate-method-name")).to_have_text("Card")
    expect(app.get_by_test_id("mandate-maximum-shown")).to_have_text("₹5,000")
    expect(app.get_by_test_id("autotopup-switch")).to_be_enabled()


def test_check_again_confirms_a_mandate_whose_webhooks_are_lost(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    open_auto_topup(app, app_server)
    httpx.post(f"{app_server}{SANDBOX}/faults", json={"webhook_drop": True}, timeout=10).raise_for_status()
    try:
        app.get_by_test_id("authorise-mandate").click()
        app.get_by_test_id("rzp-pay").click()
        expect(app.get_by_test_id("mandate-waiting")).to_contain_text("Waiting for the bank's confirmation")
        # no webhook will come: "Check again" asks Razorpay itself
        app.get_by_test_id("mandate-refresh").click()
        expect(app.get_by_test_id("mandate-instrument")).to_have_text("success@razorpay")
        expect(app.get_by_test_id("autotopup-notice")).to_contain_text("Your bank confirmed the mandate")
        expect(app.get_by_test_id("autotopup-switch")).to_be_enabled()
        both_widths(app, "autotopup-checked-again")
        # a later visit: still confirmed, nothing offered twice
        goto(app, app_server, "/settings/auto-topup")
        expect(app.get_by_test_id("mandate-instrument")).to_have_text("success@razorpay")
        expect(app.get_by_test_id("authorise-mandate")).to_have_count(0)
    finally:
        httpx.delete(f"{app_server}{SANDBOX}/faults", timeout=10).raise_for_status()
