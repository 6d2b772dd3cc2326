"""What a person types before the page has finished loading survives it becoming ready.

The page's scripts are held back until the fields are filled, so the typing is certainly
done before hydration (under load it happens by itself)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, Route, expect

from billing_app import routes


def test_signup_typed_before_hydration_is_kept_and_submitted(app: Page, app_server: str):
    held: list[Route] = []
    app.route(re.compile(r".*\.js(\?.*)?$"), held.append)
    app.goto(app_server + routes.SIGNUP, wait_until="commit")
    email = f"early{time.time_ns()}@example.com"
    for field, value in (
        ("name", "Early Bird"),
        ("org_name", "Dawn Labs"),
        ("email", email),
        ("password", "early bird pw"),
    ):
        app.locator(f"#field-{field}").fill(value)
    app.unroute(re.compile(r".*\.js(\?.*)?$"))
    for route in held:
        route.continue_()
    app.wait_for_selector("#app-ready", state="attached")
    expect(app.locator("#field-email")).to_have_value(email)
    expect(app.locator("#field-name")).to_have_value("Early Bird")
    app.get_by_role("button", name="Create account").click()
    expect(app.get_by_test_id("header-balance")).to_be_visible()
    expect(app.get_by_test_id("account-menu")).to_be_visible()
