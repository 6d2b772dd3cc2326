"""The console's overview (/console): the figures that say whether the service is well, each
a link to the list behind it."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted
from billing_app.components.responsive_list import RowVar
from billing_app.state.console_gst_export import ConsoleGstExportState
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


def _gst_export() -> rx.Component:
    """Pick a month, download its GSTR-1 sheets (docs/gst.md)."""
    return rx.card(
        rx.vstack(
            rx.text("GST export (GSTR-1)", size="3", weight="bold"),
            muted(
                "A month's tax invoices and credit notes (IST calendar month) as the offline tool's CSV "
                "sheets, in one zip: b2b, b2cl, b2cs, cdnr, cdnur, hsn and docs."
            ),
            rx.flex(
                rx.input(
                    type="month",
                    value=ConsoleGstExportState.shown_month,
                    on_change=ConsoleGstExportState.set_month,
                    aria_label="Month (IST)",
                    data_testid="gst-month",
                    width=rx.breakpoints(initial="100%", sm="15em"),
                ),
                rx.button(
                    rx.icon("download", size=16),
                    "Download",
                    on_click=ConsoleGstExportState.download,
                    data_testid="gst-download",
                ),
                spacing="2",
                direction=rx.breakpoints(initial="column", sm="row"),
                align=rx.breakpoints(initial="stretch", sm="center"),
                width="100%",
            ),
            rx.cond(
                ConsoleGstExportState.error != "",
                rx.text(ConsoleGstExportState.error, size="2", color=rx.color("red", 11), role="alert"),
            ),
            rx.cond(
                ~ConsoleGstExportState.gst_on,
                muted("GST invoicing is off (SELLER_GSTIN is not set): only documents issued before are exported."),
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
        data_testid="gst-export",
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
                _gst_export(),
                spacing="3",
                width="100%",
            ),
        ),
    )
