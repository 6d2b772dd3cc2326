"""The landing page once signed in: balance and where to go next."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.layout import card, page_frame
from billing_app.pages.billing import balance_card


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
        balance_card(),
        rx.grid(
            _tile("credit-card", "Billing", "Top up credits and see every transaction.", routes.BILLING),
            _tile("chart-column", "Usage", "Requests, tokens and spend per key and model.", routes.USAGE),
            _tile("key-round", "API keys", "Keys for your apps, with monthly budgets.", routes.KEYS),
            _tile("bell", "Settings", "Low-balance email alerts.", routes.SETTINGS),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
    )
