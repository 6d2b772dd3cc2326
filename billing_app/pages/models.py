"""Models: the catalog with its rates, in ₹ (the credit currency) per million tokens."""

from __future__ import annotations

import reflex as rx
from babel.numbers import format_decimal

from billing_app import routes
from billing_app.components.layout import card, page_frame
from billing_app.models import ModelPrice, RoutingMode
from billing_app.money import format_money
from billing_app.services import pricing
from billing_app.state.session import call_service, current_principal


def model_row(row: ModelPrice, currency: str) -> dict[str, str]:
    return {
        "model": row.model,
        "name": row.display_name,
        "provider": row.provider,
        "context": f"{format_decimal(row.context_window, locale='en_IN')} tokens" if row.context_window else "—",
        "input": format_money(row.input_micros_per_million, currency),
        "output": format_money(row.output_micros_per_million, currency),
    }


class ModelsState(rx.State):
    rows: list[dict[str, str]] = []
    loading: bool = True
    markups: str = ""

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self)
        if principal is None:
            return
        prices = await call_service(pricing.list_prices)
        self.rows = [model_row(p, principal.currency) for p in prices]
        auto, tier = pricing.markup_percent(RoutingMode.AUTO), pricing.markup_percent(RoutingMode.TIER)
        self.markups = f"auto +{auto} %, tier +{tier} %"
        self.loading = False


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row["name"], weight="medium"), rx.code(row["model"], size="1"), spacing="1")),
        rx.table.cell(row["provider"]),
        rx.table.cell(row["context"], display=["none", "none", "table-cell"], white_space="nowrap"),
        rx.table.cell(row["input"], text_align="right", white_space="nowrap"),
        rx.table.cell(row["output"], text_align="right", white_space="nowrap"),
        data_testid="model-row",
    )


def _item(row: rx.Var) -> rx.Component:
    """The same row stacked, for narrow screens."""
    return rx.box(
        rx.text(row["name"], weight="medium"),
        rx.code(row["model"], size="1"),
        rx.hstack(
            rx.text("In ", row["input"], size="2"),
            rx.text("Out ", row["output"], size="2"),
            rx.spacer(),
            rx.text(row["provider"], size="1", color=rx.color("gray", 11)),
            width="100%",
            spacing="3",
            align="center",
            margin_top="0.25em",
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="model-item",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Model"),
                rx.table.column_header_cell("Provider"),
                rx.table.column_header_cell("Context", display=["none", "none", "table-cell"]),
                rx.table.column_header_cell("Input / 1M tokens", text_align="right"),
                rx.table.column_header_cell("Output / 1M tokens", text_align="right"),
            )
        ),
        rx.table.body(rx.foreach(ModelsState.rows, _row)),
        width="100%",
        variant="surface",
        data_testid="models-table",
    )


def models_page() -> rx.Component:
    return page_frame(
        routes.MODELS,
        "Models",
        card(
            rx.vstack(
                rx.text(
                    "Provider rates per million tokens. Each request costs input and output tokens at these "
                    "rates plus your routing mode's markup (",
                    ModelsState.markups,
                    "), rounded up to the next micro-rupee.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                rx.text(
                    "Every model answers through the built-in sandbox until an upstream is configured; "
                    "sandbox-echo repeats your last message back.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                rx.cond(
                    ModelsState.loading,
                    rx.vstack(rx.skeleton(height="2em"), rx.skeleton(height="2em"), width="100%"),
                    rx.box(
                        rx.box(rx.foreach(ModelsState.rows, _item), display=["block", "none"]),
                        rx.box(_table(), display=["none", "block"]),
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            )
        ),
    )
