"""The landing page once signed in: the balance, what was spent today and over the last 30
days (from the usage rollups), and where to go next."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.balance_card import balance_card
from billing_app.components.layout import PAGE_NEEDS, card, page_frame, stat_card
from billing_app.components.role_gate import only_for
from billing_app.errors import BillingAppError
from billing_app.money import format_money
from billing_app.rows.counts import requests_text
from billing_app.services import usage
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal


class DashboardState(rx.State):
    today_spend: str = "—"  # until loaded, or if the figures cannot be read
    today_requests: str = ""
    last_30_spend: str = "—"
    last_30_requests: str = ""

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self, Permission.VIEW_USAGE)
        if principal is None:
            return
        try:
            summary = await call_service(usage.summary, org_id=principal.org_id)
        except BillingAppError:
            return  # the figures stay "—"; the balance and the tiles still work
        today, last_30 = summary.today.totals, summary.last_30_days.totals
        self.today_spend = format_money(today.cost_micros, principal.currency)
        self.today_requests = requests_text(today.requests)
        self.last_30_spend = format_money(last_30.cost_micros, principal.currency)
        self.last_30_requests = requests_text(last_30.requests)


TILES = (
    ("credit-card", "Billing", "Top up credits and see every transaction.", routes.BILLING),
    ("chart-column", "Usage", "Requests, tokens and spend per key and model.", routes.USAGE),
    ("key-round", "API keys", "Keys for your apps, with monthly budgets.", routes.KEYS),
    ("bell", "Settings", "Low-balance email alerts.", routes.SETTINGS),
)


def _tile(icon: str, title: str, text: str, href: str) -> rx.Component:
    return rx.link(
        card(
            rx.hstack(
                rx.icon(icon, size=20),
                rx.vstack(
                    rx.text(title, weight="bold"), rx.text(text, size="2", color=rx.color("gray", 11)), spacing="1"
                ),
                align="start",
            )
        ),
        href=href,
        underline="none",
        high_contrast=True,
        width="100%",
    )


def dashboard_page() -> rx.Component:
    return page_frame(
        routes.DASHBOARD,
        "Dashboard",
        rx.grid(
            rx.box(balance_card(), grid_column=rx.breakpoints(initial="span 2", md="span 1")),
            only_for(
                Permission.VIEW_USAGE,
                stat_card(
                    "Spent today (IST)", DashboardState.today_spend, DashboardState.today_requests, "dashboard-today"
                ),
                stat_card(
                    "Last 30 days", DashboardState.last_30_spend, DashboardState.last_30_requests, "dashboard-last-30"
                ),
            ),
            columns=rx.breakpoints(initial="2", md="3"),
            spacing="4",
            width="100%",
        ),
        rx.grid(
            *[only_for(PAGE_NEEDS.get(href), _tile(icon, title, text, href)) for icon, title, text, href in TILES],
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
    )
