"""Models: the catalog with its rates per million tokens, in the org's currency."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.layout import card, page_frame
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.models import RoutingMode
from billing_app.rows.models import ModelRow, model_row
from billing_app.services import pricing
from billing_app.state.session import call_service, current_principal


class ModelsState(rx.State):
    rows: list[ModelRow] = []
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


def _name(row: RowVar) -> rx.Component:
    return rx.vstack(rx.text(row.name, weight="medium"), rx.code(row.model, size="1"), spacing="1")


COLUMNS = (
    Column("Model", _name),
    Column("Provider", lambda row: row.provider),
    Column("Context", lambda row: rx.text(row.context, white_space="nowrap")),
    Column("Input / 1M tokens", lambda row: row.input, numeric=True),
    Column("Output / 1M tokens", lambda row: row.output, numeric=True),
)


def _item(row: RowVar) -> rx.Component:
    return stacked_item(
        _name(row),
        rx.hstack(
            rx.text("In ", row.input, size="2"),
            rx.text("Out ", row.output, size="2"),
            rx.spacer(),
            rx.text(row.provider, size="1", color=rx.color("gray", 11)),
            width="100%",
            spacing="3",
            align="center",
            margin_top="0.25em",
        ),
        test_id="model-item",
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
                    "), rounded up to the next micro-unit of your currency.",
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
                    responsive_list(
                        ModelsState.rows,
                        columns=COLUMNS,
                        item=_item,
                        table_test_id="models-table",
                        row_test_id="model-row",
                    ),
                ),
                spacing="3",
                width="100%",
            )
        ),
    )
