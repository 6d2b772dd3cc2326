"""Members and invitations in the browser: the owner invites an address from the Members page,
the invitee opens the emailed link in another browser, creates an account (or signs in) and
lands in the owner's org with what their role allows; the owner changes their role and
removes them. A member leaves an org of their own accord; its only owner can't, and is told why."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.app_process import emailed_link
from tests.e2e.conftest import ARTIFACTS, goto, screenshot
from tests.e2e.test_accounts_flow import PASSWORD, signed_up, submit_sign_in, unique_email
from tests.e2e.test_activity_flow import bearer, join_org, zen_studio
from tests.e2e.test_usage_flow import create_key

pytestmark = pytest.mark.e2e
INVITATION_SUBJECT = "Join "


def both_widths(page: Page, name: str) -> None:
    expect(page.locator("[data-sonner-toast]")).to_have_count(0)  # an earlier page's toast has gone
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})


def dialog_at_both_widths(page: Page, name: str) -> None:
    """An open dialog as the person sees it: the viewport only (a full-page shot moves the fixed
    header), once its opening animation has finished."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), animations="disabled")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / f"{name}-narrow.png"), animations="disabled")
    page.set_viewport_size({"width": 1280, "height": 900})


def open_members(page: Page) -> None:
    page.get_by_test_id("account-menu").click()
    page.get_by_test_id("menu-members").click()
    page.wait_for_url("**/settings/members")


def invite(page: Page, email: str) -> None:
    """On the Members page: invite `email` with the form's role (developer)."""
    page.get_by_label("Email").fill(email)
    page.get_by_test_id("send-invitation").click()
    expect(page.get_by_test_id("members-notice")).to_have_text(f"Invitation sent to {email}.")


def new_browser(browser: Browser) -> Page:
    """A second person's browser: its own storage, so its own session."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    return page


def open_link(page: Page, base_url: str, email: str, *, at_least: int = 1) -> None:
    """Open the newest invitation link sent to `email`, once `at_least` invitations arrived."""
    page.goto(emailed_link(base_url, email, subject_starts=INVITATION_SUBJECT, at_least=at_least))
    page.wait_for_selector("#app-ready", state="attached")


def test_invite_a_developer_who_signs_up_then_change_their_role_and_remove_them(
    app: Page, app_server: str, browser: Browser
):
    app.set_viewport_size({"width": 1280, "height": 900})
    owner, invitee = unique_email(), unique_email()
    signed_up(app, app_server, owner)
    open_members(app)
    members = app.get_by_test_id("members-table").get_by_test_id("member-row")
    expect(members).to_have_count(1)
    expect(members.first).to_contain_text(owner)
    expect(members.first.get_by_test_id("member-you")).to_be_visible()
    expect(app.get_by_test_id("invitations-empty").first).to_be_visible()

    invite(app, invitee)
    pending = app.get_by_test_id("invitations-table").get_by_test_id("invitation-row")
    expect(pending).to_have_count(1)
    expect(pending.first).to_contain_text(invitee)
    expect(pending.first).to_contain_text("developer")
    expect(pending.first).to_contain_text("Asha Rao")
    both_widths(app, "members")

    guest = new_browser(browser)
    open_link(guest, app_server, invitee)
    summary = guest.get_by_test_id("invitation-summary")
    expect(summary).to_contain_text("Acme Labs")
    expect(summary).to_contain_text(invitee)
    expect(summary).to_contain_text("developer")
    both_widths(guest, "invitation-signed-out")
    guest.get_by_test_id("invitation-create-account").click()
    expect(guest.get_by_label("Email")).to_have_value(invitee)
    expect(guest.get_by_label("Email")).not_to_be_editable()
    expect(guest.get_by_label("Organisation name")).to_have_count(0)
    guest.get_by_label("Your name").fill("Ravi Kumar")
    guest.get_by_label("Password").fill(PASSWORD)
    guest.get_by_role("button", name="Create account and join").click()
    guest.wait_for_url(f"{app_server}/")

    expect(guest.get_by_test_id("header-balance")).to_have_text("₹100.00")  # the owner's org
    expect(guest.get_by_role("link", name="API keys", exact=True)).to_be_visible()
    expect(guest.get_by_role("link", name="Billing", exact=True)).to_have_count(0)
    create_key(guest, app_server, "invitee key")
    goto(guest, app_server, "/billing")
    expect(guest.get_by_test_id("role-refusal")).to_contain_text("Your role (developer) does not allow you")
    both_widths(guest, "invitee-billing-refused")

    goto(app, app_server, "/settings/members")
    expect(members).to_have_count(2)
    expect(pending).to_have_count(0)
    expect(app.get_by_test_id("invitations-empty").first).to_be_visible()
    both_widths(app, "members-joined")
    row = members.filter(has_text=invitee)
    row.get_by_test_id("member-role").click()
    app.get_by_role("option", name="billing").click()
    expect(app.get_by_test_id("members-notice")).to_have_text("Ravi Kumar is now billing.")
    goto(guest, app_server, "/billing")  # the new role applies from the next page
    expect(guest.get_by_test_id("history-row").first).to_be_visible()
    expect(guest.get_by_test_id("role-refusal")).to_have_count(0)

    row.get_by_test_id("remove-member").click()
    app.get_by_test_id("confirm-remove").click()
    expect(app.get_by_test_id("members-notice")).to_have_text("Ravi Kumar is no longer a member.")
    expect(members).to_have_count(1)
    goto(guest, app_server, "/billing")  # their session for the org ended with the membership
    guest.wait_for_url("**/login")


def test_an_existing_user_signs_in_from_the_link_and_then_has_both_orgs(app: Page, app_server: str, browser: Browser):
    app.set_viewport_size({"width": 1280, "height": 900})
    invitee = unique_email()
    zen_studio(app_server, invitee)
    signed_up(app, app_server, unique_email())
    open_members(app)
    me = app.get_by_test_id("members-table").get_by_test_id("member-row").first
    me.get_by_test_id("member-role").click()  # the only owner can't stop being one: said inline
    app.get_by_role("option", name="admin").click()
    expect(app.get_by_test_id("members-card").get_by_test_id("form-error")).to_contain_text("at least one owner")
    expect(me.get_by_test_id("member-role")).to_have_text("owner")
    invite(app, invitee)
    app.get_by_label("Email").fill(invitee)  # again: replaces the pending one
    app.get_by_test_id("send-invitation").click()
    expect(app.get_by_test_id("invitations-table").get_by_test_id("invitation-row")).to_have_count(1)
    app.get_by_label("Email").fill("not an address")
    app.get_by_test_id("send-invitation").click()  # the browser's own check stops it first
    assert app.get_by_label("Email").evaluate("field => field.validity.valid") is False

    open_link(app, app_server, invitee, at_least=2)  # the owner opens it: another address, said so
    expect(app.get_by_test_id("invitation-other-address")).to_contain_text(invitee)
    expect(app.get_by_test_id("accept-invitation")).to_have_count(0)
    both_widths(app, "invitation-other-address")

    guest = new_browser(browser)
    guest.goto(f"{app_server}/login?next=/invitations/accept?token%3Dnot-a-real-one")
    guest.wait_for_selector("#app-ready", state="attached")  # a link that names no org: generic
    expect(guest.get_by_test_id("auth-subtitle")).to_have_text("Sign in to accept your invitation.")
    open_link(guest, app_server, invitee)
    guest.get_by_test_id("invitation-sign-in").click()
    guest.wait_for_url(re.compile(r"/login\?next=/invitations/accept"))
    expect(guest.get_by_test_id("auth-subtitle")).to_have_text("Sign in to accept your invitation to Acme Labs.")
    guest.set_viewport_size({"width": 390, "height": 844})
    screenshot(guest, "login-for-invitation-narrow")
    guest.set_viewport_size({"width": 1280, "height": 900})
    submit_sign_in(guest, invitee)
    guest.wait_for_url(re.compile(r"/invitations/accept\?token="))
    accept = guest.get_by_test_id("accept-invitation")
    expect(accept).to_have_text("Join Acme Labs as developer")
    screenshot(guest, "invitation-signed-in")
    accept.click()
    guest.wait_for_url(f"{app_server}/")
    expect(guest.get_by_test_id("header-balance")).to_have_text("₹100.00")

    guest.get_by_test_id("account-menu").click()
    expect(guest.get_by_test_id("current-org")).to_have_text("Acme Labs")
    expect(guest.get_by_test_id("switch-org")).to_contain_text("Zen Studio")
    expect(guest.get_by_test_id("switch-org")).to_contain_text("owner")

    open_link(guest, app_server, invitee)  # used: refused, with the way to sign in
    expect(guest.get_by_test_id("invitation-invalid")).to_be_visible()

    guest.goto(f"{app_server}/login?next=/keys")  # signed in already: on to `next`, on this site only
    guest.wait_for_url("**/keys")
    guest.goto(f"{app_server}/login?next=//elsewhere.example/")
    guest.wait_for_url(f"{app_server}/billing")


def test_a_member_leaves_an_org_and_its_only_owner_is_told_why_they_cannot(app: Page, app_server: str):
    app.set_viewport_size({"width": 1280, "height": 900})
    other = zen_studio(app_server)
    email = unique_email()
    signed_up(app, app_server, email)  # the only owner of Acme Labs
    open_members(app)
    expect(app.get_by_test_id("leave-refused")).to_have_text(
        "You are the only owner of Acme Labs, so you can't leave it. "
        "Make another member an owner first; then you can leave."
    )
    expect(app.get_by_test_id("leave-org")).to_have_count(0)
    both_widths(app, "members-leave-only-owner")

    join_org(app_server, other["token"], email, "admin")
    app.get_by_test_id("account-menu").click()
    app.get_by_test_id("switch-org").click()  # to Zen Studio, where they are an admin
    expect(app.get_by_test_id("header-balance")).to_have_text("₹0.00")
    goto(app, app_server, "/settings/members")
    expect(app.get_by_test_id("members-table").get_by_test_id("member-row")).to_have_count(2)
    expect(app.get_by_test_id("leave-refused")).to_have_count(0)
    both_widths(app, "members-leave")
    app.get_by_test_id("leave-org").click()
    expect(app.get_by_role("alertdialog")).to_contain_text("Leave Zen Studio?")
    dialog_at_both_widths(app, "members-leave-confirm")
    app.get_by_test_id("confirm-leave").click()
    app.wait_for_url("**/login")  # where a removed member lands: this session was for Zen Studio

    left = httpx.get(f"{app_server}/me/members", headers=bearer(other["token"])).json()
    assert [m["email"] for m in left["members"]] == [other["email"]]
    submit_sign_in(app, email)  # signing in again: their other org
    app.wait_for_url("**/billing")
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    app.get_by_test_id("account-menu").click()
    expect(app.get_by_test_id("current-org")).to_have_text("Acme Labs")
    expect(app.get_by_test_id("switch-org")).to_have_count(0)


def test_a_developer_leaves_from_security_as_they_cannot_open_members(app: Page, app_server: str):
    app.set_viewport_size({"width": 1280, "height": 900})
    other = zen_studio(app_server)
    email = unique_email()
    signed_up(app, app_server, email)
    goto(app, app_server, "/settings/security")
    expect(app.get_by_test_id("leave-card")).to_have_count(0)  # an owner leaves from Members

    join_org(app_server, other["token"], email, "developer")
    app.get_by_test_id("account-menu").click()
    app.get_by_test_id("switch-org").click()  # to Zen Studio, where they are a developer
    expect(app.get_by_test_id("header-balance")).to_have_text("₹0.00")
    goto(app, app_server, "/settings/security")
    expect(app.get_by_test_id("leave-card")).to_contain_text("You lose access to Zen Studio")
    both_widths(app, "security-leave")
    app.get_by_test_id("leave-org").click()
    expect(app.get_by_role("alertdialog")).to_contain_text("Leave Zen Studio?")
    app.get_by_test_id("confirm-leave").click()
    app.wait_for_url("**/login")

    left = httpx.get(f"{app_server}/me/members", headers=bearer(other["token"])).json()
    assert [m["email"] for m in left["members"]] == [other["email"]]
