"""The saved billing address in a card, or a nudge to add one before a top-up."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.layout import section
from billing_app.state.address_summary import AddressSummaryState


def address_summary_card() -> rx.Component:
    has_address = AddressSummaryState.lines.length() > 0  # type: ignore[attr-defined]
    return section(
        rx.hstack(
            rx.icon("map-pin", size=18, color=rx.color("gray", 11)),
            rx.heading("Billing address", size="4", white_space="nowrap"),
            rx.spacer(),
            rx.button(
                rx.link(
                    rx.cond(has_address, "Edit", "Add"),
                    href=routes.billing_address_url(routes.BILLING),
                    data_testid="address-edit",
                ),
                as_child=True,
                variant="soft",
                size="2",
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            AddressSummaryState.loaded,
            rx.cond(
                has_address,
                rx.vstack(
                    rx.foreach(AddressSummaryState.lines, lambda line: rx.text(line, size="2")),
                    spacing="0",
                    data_testid="address-summary",
                ),
                rx.text(
                    "No billing address yet — add one before your first top-up.",
                    size="2",
                    color=rx.color("gray", 11),
                    data_testid="address-missing",
                ),
            ),
            rx.skeleton(height="3em", width="100%"),
        ),
        test_id="address-card",
    )
