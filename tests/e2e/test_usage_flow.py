"""Create an API key in the browser, make requests with it over HTTP, then see the usage
chart and tables, the daily deduction in the billing history and the header balance drop."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from billing_app.money import format_money
from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_accounts_flow import signed_up, unique_email

pytestmark = pytest.mark.e2e


def create_key(page: Page, base_url: str, name: str) -> str:
    goto(page, base_url, "/keys")
    expect(page.get_by_test_id("keys-empty")).to_be_visible()
    page.get_by_label("Key name").fill(name)
    page.get_by_label("Monthly budget (₹, optional)").fill("50")
    page.get_by_test_id("create-key").click()
    secret = page.get_by_test_id("new-key-secret")
    expect(secret).to_contain_text("sk-live-")
    return secret.inner_text().strip()


def make_requests(base_url: str, key: str) -> int:
    """Two chat completions and one authorize + usage pair; returns the balance after."""
    headers = {"Authorization": f"Bearer {key}"}
    balance = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=20) as client:
        for model, text in (("sandbox-echo", "Hello from the e2e test"), ("openai/gpt-4o", "How much does this cost?")):
            response = client.post(
                "/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]}
            )
            assert response.status_code == 200, response.text
            balance = response.json()["billing"]["balance_micros"]
        held = client.post(
            "/v1/billing/authorize",
            json={"request_id": "e2e-1", "model": "anthropic/claude-sonnet-4", "max_tokens": 4000},
        )
        assert held.status_code == 200, held.text
        used = client.post(
            "/v1/billing/usage",
            json={
                "request_id": "e2e-1",
                "model": "anthropic/claude-sonnet-4",
                "prompt_tokens": 12_000,
                "completion_tokens": 3_000,
            },
        )
        assert used.status_code == 200, used.text
        balance = used.json()["balance_micros"]
    return balance


def test_key_requests_usage_chart_and_balance(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    expect(app.get_by_test_id("header-balance")).to_have_text("₹100.00")
    key = create_key(app, app_server, "e2e router")
    screenshot(app, "keys-created")
    balance = make_requests(app_server, key)
    expected = format_money(balance, "INR")
    assert expected != "₹100.00"

    goto(app, app_server, "/usage")
    expect(app.get_by_test_id("header-balance")).to_have_text(expected)
    expect(app.get_by_test_id("usage-requests")).to_have_text("3")
    expect(app.get_by_text("3 requests")).to_be_visible()  # today's, beside today's spend
    expect(app.get_by_test_id("usage-chart").locator(".recharts-bar-rectangle").first).to_be_visible()
    models = app.get_by_test_id("usage-models-row")
    expect(models).to_have_count(3)
    expect(models.first).to_contain_text("anthropic/claude-sonnet-4")  # the costliest first
    expect(app.get_by_test_id("usage-keys-row")).to_contain_text("e2e router")
    screenshot(app, "usage-desktop")

    goto(app, app_server, "/keys")
    row = app.get_by_test_id("key-row")
    expect(row).to_contain_text("e2e router")
    expect(row).to_contain_text(format_money(100_000_000 - balance, "INR"))  # this month's spend
    expect(row).to_contain_text("₹50.00")  # the budget
    screenshot(app, "keys-desktop")

    goto(app, app_server, "/billing")
    app.get_by_test_id("show-daily-usage").click()
    expect(app.get_by_test_id("history-row").first).to_contain_text("API usage: 3 requests")
    expect(app.get_by_test_id("history-row").first).to_contain_text(f"−{format_money(100_000_000 - balance, 'INR')}")
    screenshot(app, "billing-daily-usage")

    goto(app, app_server, "/models")
    expect(app.get_by_test_id("model-row").filter(has_text="sandbox-echo")).to_contain_text("₹12.75")
    screenshot(app, "models-desktop")

    goto(app, app_server, "/")
    spent = format_money(100_000_000 - balance, "INR")
    expect(app.get_by_test_id("balance-card-amount")).to_have_text(expected)
    expect(app.get_by_test_id("dashboard-today")).to_have_text(spent)
    expect(app.get_by_test_id("dashboard-last-30")).to_have_text(spent)
    expect(app.get_by_text("3 requests")).to_have_count(2)
    screenshot(app, "dashboard-with-usage")

    app.set_viewport_size({"width": 390, "height": 844})
    goto(app, app_server, "/usage")
    expect(app.get_by_test_id("header-balance")).to_be_visible()
    expect(app.get_by_test_id("usage-chart")).to_be_visible()
    screenshot(app, "usage-narrow")
    goto(app, app_server, "/keys")
    expect(app.get_by_test_id("key-item")).to_contain_text("e2e router")
    screenshot(app, "keys-narrow")
    goto(app, app_server, "/models")
    expect(app.get_by_test_id("model-item").filter(has_text="sandbox-echo")).to_contain_text("₹51.00")
    screenshot(app, "models-narrow")
    goto(app, app_server, "/")
    expect(app.get_by_test_id("dashboard-today")).to_have_text(spent)
    screenshot(app, "dashboard-narrow")


def test_revoking_a_key_in_the_ui_refuses_its_requests(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    key = create_key(app, app_server, "short-lived")
    app.get_by_role("button", name="I have saved it").click()
    expect(app.get_by_test_id("new-key-secret")).to_have_count(0)
    app.get_by_test_id("revoke-key").filter(visible=True).click()
    app.get_by_role("button", name="Revoke key").click()
    expect(app.get_by_test_id("key-row")).to_contain_text("Revoked")
    response = httpx.post(
        f"{app_server}/v1/billing/authorize",
        json={"request_id": "r", "model": "sandbox-echo"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_raising_a_spent_budget_in_the_ui_lets_the_key_through_again(app: Page, app_server: str):
    """A router whose key hit its budget (429) gets through again once the user raises the
    budget on the Keys page: no new key, the month's spend kept."""
    signed_up(app, app_server, unique_email())
    key = create_key(app, app_server, "capped")  # ₹50 a month
    app.get_by_role("button", name="I have saved it").click()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=app_server, headers=headers, timeout=20) as client:
        # ₹70.13 (50,000 output tokens at ₹1,275 per million, +10 %): past the ₹50 budget, within the ₹100 balance.
        usage = {"model": "anthropic/claude-sonnet-4", "prompt_tokens": 0, "completion_tokens": 50_000}
        assert client.post("/v1/billing/usage", json={"request_id": "big", **usage}).status_code == 200
        ask = {"request_id": "next", "model": "sandbox-echo", "max_tokens": 10}
        refused = client.post("/v1/billing/authorize", json=ask)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "budget_exceeded"

        goto(app, app_server, "/keys")
        row = app.get_by_test_id("key-row")
        expect(row).to_contain_text("₹50.00")
        app.get_by_test_id("edit-budget").filter(visible=True).click()
        dialog = app.get_by_test_id("budget-dialog")
        budget = dialog.get_by_label("Monthly budget (₹)")
        expect(budget).to_have_value("50")
        budget.fill("lots")
        dialog.get_by_role("button", name="Save budget").click()
        expect(dialog.get_by_test_id("form-error")).to_contain_text("Enter the monthly budget as an amount")
        screenshot(app, "keys-budget-error")
        budget.fill("5000")
        dialog.get_by_role("button", name="Save budget").click()
        expect(dialog).to_be_hidden()
        expect(row).to_contain_text("₹5,000.00")
        screenshot(app, "keys-budget-raised")
        assert client.post("/v1/billing/authorize", json=ask).status_code == 200

        app.get_by_test_id("edit-budget").filter(visible=True).click()
        budget.fill("")
        dialog.get_by_role("button", name="Save budget").click()
        expect(row).to_contain_text("No limit")


def test_usage_page_empty_state(app: Page, app_server: str):
    signed_up(app, app_server, unique_email())
    goto(app, app_server, "/usage")
    expect(app.get_by_test_id("usage-empty")).to_be_visible()
    expect(app.get_by_test_id("usage-spend")).to_have_text("₹0.00")
    screenshot(app, "usage-empty")
