"""Promo codes (/console/promos) and model prices (/console/prices)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted, notice, reason_input
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import field_label, form_error, labelled_input
from billing_app.components.layout import section
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.state.console_catalog import ConsolePricesState, ConsolePromosState

P = ConsolePromosState
M = ConsolePricesState


def _row_of(*fields: rx.Component) -> rx.Component:
    return rx.grid(*fields, columns=rx.breakpoints(initial="1", sm="2", md="3"), spacing="3", width="100%")


def _promo_form() -> rx.Component:
    return section(
        "New promo code",
        rx.form(
            rx.vstack(
                _row_of(
                    labelled_input("Code", "code", required=True, placeholder="DIWALI50"),
                    rx.vstack(
                        rx.text("Kind", size="2", weight="medium"),
                        rx.select(["flat", "percent"], name="kind", default_value="flat", size="3", width="100%"),
                        spacing="1",
                    ),
                    labelled_input("Bonus (amount, or % for percent)", "bonus", required=True, placeholder="50"),
                    labelled_input("Cap (percent only)", "cap", placeholder="none"),
                    labelled_input("Minimum top-up (whole units)", "min_topup", placeholder="0"),
                    labelled_input("At most this many uses", "max_redemptions", placeholder="no limit"),
                    labelled_input("Starts (IST)", "starts_at", type_="datetime-local"),
                    labelled_input("Ends (IST)", "ends_at", type_="datetime-local"),
                    rx.el.label(
                        rx.checkbox(name="inactive"),
                        rx.text(" Create it disabled", size="2"),
                        display="flex",
                        align_items="center",
                        gap="0.5em",
                        margin_top="1.6em",
                    ),
                ),
                reason_input(),
                form_error(P.error),
                rx.button("Create code", type="submit", width="fit-content", data_testid="promo-create"),
                spacing="3",
                width="100%",
            ),
            id="promo-form",
            on_submit=P.create,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _disable(row: RowVar) -> rx.Component:
    return rx.cond(
        row.active,
        rx.button(
            "Disable",
            size="1",
            variant="soft",
            color_scheme="tomato",
            on_click=P.disable(row.code),  # type: ignore[operator]
            data_testid="promo-disable",
        ),
    )


def _promos_list() -> rx.Component:
    return section(
        "Promo codes",
        rx.vstack(
            field_label("Reason for disabling a code (kept in the audit log)", "disable-reason"),
            rx.input(id="disable-reason", value=P.disable_reason, on_change=P.set_disable_reason, width="100%"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            P.promos.length() > 0,  # type: ignore[attr-defined]
            responsive_list(
                P.promos,
                columns=[
                    Column("Code", lambda r: rx.vstack(rx.code(r.code), muted(r.rules), spacing="1")),
                    Column("Bonus", lambda r: rx.text(r.summary, size="2")),
                    Column("State", lambda r: rx.badge(r.state, variant="soft")),
                    Column("Used", lambda r: rx.text(r.redemptions, size="2"), numeric=True),
                    Column("Granted", lambda r: rx.text(r.granted, size="2"), numeric=True),
                    Column("", _disable, numeric=True),
                ],
                item=lambda r: stacked_item(
                    rx.hstack(
                        rx.code(r.code),
                        rx.badge(r.state, variant="soft"),
                        rx.spacer(),
                        _disable(r),
                        width="100%",
                        align="center",
                    ),
                    muted(r.summary, " · ", r.rules),
                    muted("Used ", r.redemptions, " times, ", r.granted, " granted"),
                    test_id="promo-row",
                ),
                table_test_id="promos-table",
                row_test_id="promo-row",
                dimmed=lambda r: r.inactive,
            ),
            rx.box(
                empty_state(
                    "ticket", "No promo codes", "Codes made here or with the CLI show up here.", testid="promos-empty"
                ),
                width="100%",
            ),
        ),
    )


def console_promos_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_PROMOS,
        "Promo codes",
        notice(P.notice),
        rx.cond(P.loading, rx.skeleton(height="12em", width="100%"), rx.fragment(_promos_list(), _promo_form())),
    )


def _edit_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("New rates for ", rx.code(M.editing), size="2"),
            _row_of(
                rx.el.input(type="hidden", name="model", value=M.editing),
                labelled_input("Input per million tokens", "input", default_value=M.edit_input, required=True),
                labelled_input("Output per million tokens", "output", default_value=M.edit_output, required=True),
            ),
            rx.el.label(
                rx.checkbox(name="retired"),
                rx.text(" Retired (not offered)", size="2"),
                display="flex",
                align_items="center",
                gap="0.5em",
            ),
            reason_input(),
            form_error(M.error),
            rx.hstack(
                rx.button("Save", type="submit", data_testid="price-save"),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=M.cancel),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=M.save,
        key=M.editing,
        width="100%",
    )


def _edit_button(row: RowVar) -> rx.Component:
    return rx.button(
        "Edit",
        size="1",
        variant="soft",
        data_testid="price-edit",
        on_click=M.edit(row.model, row.input_plain, row.output_plain),  # type: ignore[operator]
    )  # type: ignore[operator]


def _prices_list() -> rx.Component:
    return section(
        "Model prices",
        muted("Per million tokens. A price applies from the moment it is saved: “since” is when it last changed."),
        rx.cond(M.editing != "", rx.card(_edit_form(), width="100%", data_testid="price-form")),
        responsive_list(
            M.prices,
            columns=[
                Column(
                    "Model",
                    lambda r: rx.vstack(
                        rx.text(r.name, size="2", weight="medium"), muted(r.provider, " · ", r.model), spacing="0"
                    ),
                ),
                Column("Input", lambda r: rx.text(r.input_rate, size="2"), numeric=True),
                Column("Output", lambda r: rx.text(r.output_rate, size="2"), numeric=True),
                Column("Source", lambda r: rx.badge(r.source, variant="soft")),
                Column("Since (IST)", lambda r: rx.text(r.since, size="2")),
                Column("", _edit_button, numeric=True),
            ],
            item=lambda r: stacked_item(
                rx.hstack(rx.text(r.name, size="2", weight="medium"), rx.spacer(), _edit_button(r), width="100%"),
                muted(r.provider, " · ", r.model, " · ", r.source),
                muted("In ", r.input_rate, " · out ", r.output_rate, " · since ", r.since),
                test_id="price-row",
            ),
            table_test_id="prices-table",
            row_test_id="price-row",
            dimmed=lambda r: r.inactive,
        ),
    )


def _load_form() -> rx.Component:
    return section(
        "Load the catalog",
        muted(
            "Brings prices in line with the catalog file shipped with the app. Prices set here are kept "
            "unless you overwrite them."
        ),
        rx.form(
            rx.vstack(
                rx.el.label(
                    rx.checkbox(name="overwrite"),
                    rx.text(" Overwrite prices set here", size="2"),
                    display="flex",
                    align_items="center",
                    gap="0.5em",
                ),
                reason_input(field_id="load-reason"),
                rx.button(
                    "Load the catalog", type="submit", variant="soft", width="fit-content", data_testid="catalog-load"
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=M.load_catalog,
            width="100%",
        ),
    )


def console_prices_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_PRICES,
        "Model prices",
        notice(M.notice),
        rx.cond(M.editing == "", form_error(M.error)),
        rx.cond(M.loading, rx.skeleton(height="12em", width="100%"), rx.fragment(_prices_list(), _load_form())),
    )
