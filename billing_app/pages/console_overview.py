"""The console's overview (/console): the figures that say whether the service is well, each
a link to the list behind it."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted
from billing_app.components.responsive_list import RowVar
from billing_app.state.console_overview import ConsoleOverviewState


def _figure(figure: RowVar) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(figure.label, size="2", color=rx.color("gray", 11)),
                rx.text(figure.value, size="5", weight="bold", data_testid="figure-value"),
                muted(figure.detail),
                spacing="1",
            ),
            size="2",
            width="100%",
            height="100%",
        ),
        href=figure.href,
        underline="none",
        high_contrast=True,
        data_testid="figure-" + figure.key,  # type: ignore[operator]
    )


def console_overview_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE,
        "Console",
        rx.cond(
            ConsoleOverviewState.loading,
            rx.skeleton(height="16em", width="100%"),
            rx.vstack(
                rx.grid(
                    rx.foreach(ConsoleOverviewState.figures, _figure),
                    columns=rx.breakpoints(initial="2", md="3", lg="4"),
                    spacing="3",
                    width="100%",
                ),
                muted("As of ", ConsoleOverviewState.as_of, ". Today and 30 days are IST calendar days."),
                spacing="3",
                width="100%",
            ),
        ),
    )
