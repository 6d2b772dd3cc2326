"""The balance in a card: on the dashboard and the billing page."""

from __future__ import annotations

import reflex as rx

from billing_app.components.layout import card
from billing_app.state.session import SessionState


def balance_card() -> rx.Component:
    return card(
        rx.vstack(
            rx.text("Available balance", size="2", color=rx.color("gray", 11)),
            rx.text(SessionState.balance_display, size="8", weight="bold", data_testid="balance-card-amount"),
            rx.text(SessionState.org_name, size="2", color=rx.color("gray", 11)),
            spacing="1",
        )
    )
