"""API keys: create one (the secret is shown once), see spend and last use, change a key's
monthly budget, revoke; and the org's routing mode (which markup its usage is billed with)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import form_error, hint, labelled_input, stacked_form
from billing_app.components.layout import card, page_frame, section
from billing_app.components.money_input import money_input
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.models import RoutingMode
from billing_app.services.roles import Permission
from billing_app.state.keys import KeysState
from billing_app.state.session import SessionState


def _create_form() -> rx.Component:
    return card(
        stacked_form(
            rx.heading("Create a key", size="4"),
            rx.grid(
                labelled_input(
                    "Key name", "name", value=KeysState.name, on_change=KeysState.set_name, placeholder="production"
                ),
                money_input(
                    f"Monthly budget ({SessionState.currency_symbol}, optional)",
                    "budget",
                    value=KeysState.budget,
                    on_change=KeysState.set_budget,
                    placeholder="No limit",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            hint("The budget is per IST calendar month; once spent, requests get 429 budget_exceeded."),
            form_error(KeysState.error),
            rx.button(
                rx.icon("plus", size=16),
                "Create key",
                type="submit",
                loading=KeysState.creating,
                disabled=KeysState.name.strip() == "",  # type: ignore[attr-defined]
                data_testid="create-key",
            ),
            align="start",
            on_submit=KeysState.create,
        )
    )


def _new_secret() -> rx.Component:
    return rx.cond(
        KeysState.new_secret != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("key-round")),
            rx.vstack(
                rx.text("Copy your new key “", KeysState.new_name, "” now: it is shown only once.", weight="medium"),
                rx.hstack(
                    rx.code(KeysState.new_secret, size="3", data_testid="new-key-secret", word_break="break-all"),
                    rx.icon_button(
                        rx.icon("copy", size=16),
                        variant="soft",
                        aria_label="Copy key",
                        on_click=[rx.set_clipboard(KeysState.new_secret), rx.toast.success("Copied.")],
                    ),
                    align="center",
                    wrap="wrap",
                ),
                rx.button("I have saved it", variant="soft", size="1", on_click=KeysState.dismiss_secret),
                spacing="2",
                align="start",
            ),
            color_scheme="grass",
            width="100%",
        ),
    )


def _revoke_button(row: RowVar) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Revoke", color_scheme="tomato", variant="soft", size="1", data_testid="revoke-key"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke ", row.name, "?"),
            rx.alert_dialog.description("Requests with this key will be refused at once. This cannot be undone."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Revoke key", color_scheme="tomato", on_click=KeysState.revoke(row.id))  # type: ignore[operator]
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )


def _budget_button(row: RowVar) -> rx.Component:
    return rx.button(
        "Budget",
        variant="soft",
        color_scheme="gray",
        size="1",
        on_click=KeysState.start_budget_edit(row.id, row.name, row.budget_input),  # type: ignore[operator]
        data_testid="edit-budget",
    )


def _budget_dialog() -> rx.Component:
    """One dialog for every key, open while a key's budget is being changed."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Monthly budget of ", KeysState.editing_name),
            rx.dialog.description(
                "Per IST calendar month, from the key's next request. This month's spend is kept: a budget at "
                "or below it refuses requests with 429 budget_exceeded.",
                size="2",
            ),
            stacked_form(
                money_input(
                    f"Monthly budget ({SessionState.currency_symbol})",
                    "edit_budget",
                    value=KeysState.editing_budget,
                    on_change=KeysState.set_editing_budget,
                    placeholder="No limit",
                    auto_focus=True,
                ),
                form_error(KeysState.editing_error),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                    rx.button("Save budget", type="submit", loading=KeysState.saving_budget),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                margin_top="1em",
                on_submit=KeysState.save_budget,
            ),
            data_testid="budget-dialog",
        ),
        open=KeysState.editing_id != 0,
        on_open_change=KeysState.close_budget_edit,
    )


def _status(row: RowVar) -> rx.Component:
    return rx.cond(
        row.revoked,
        rx.badge("Revoked", color_scheme="gray", variant="soft"),
        rx.hstack(_budget_button(row), _revoke_button(row), spacing="2", justify="end"),
    )


COLUMNS = (
    Column("Name", lambda row: rx.text(row.name, weight="medium")),
    Column("Key", lambda row: rx.code(row.prefix, white_space="nowrap")),
    Column("Last used (IST)", lambda row: rx.text(row.last_used, white_space="nowrap")),
    Column("This month", lambda row: row.spend, numeric=True),
    Column("Monthly budget", lambda row: row.budget, numeric=True),
    Column("", _status, numeric=True),
)


def _key_item(row: RowVar) -> rx.Component:
    muted = rx.color("gray", 11)
    return stacked_item(
        rx.hstack(rx.text(row.name, weight="bold"), rx.spacer(), _status(row), width="100%", align="center"),
        rx.code(row.prefix, margin_top="0.25em"),
        rx.hstack(
            rx.text("This month ", row.spend, " of ", row.budget, size="1", color=muted),
            rx.spacer(),
            rx.text("Used ", row.last_used, size="1", color=muted),
            width="100%",
            wrap="wrap",
            margin_top="0.25em",
        ),
        dimmed=row.revoked,
        test_id="key-item",
    )


def _keys_list() -> rx.Component:
    return section(
        "Your keys",
        rx.cond(
            KeysState.loading,
            rx.vstack(rx.skeleton(height="2em"), rx.skeleton(height="2em"), width="100%"),
            rx.cond(
                KeysState.rows.length() > 0,  # type: ignore[attr-defined]
                responsive_list(
                    KeysState.rows,
                    columns=COLUMNS,
                    item=_key_item,
                    table_test_id="keys-table",
                    row_test_id="key-row",
                    dimmed=lambda row: row.revoked,
                ),
                empty_state(
                    "key-round",
                    "No API keys yet",
                    "Create one above to start making requests.",
                    testid="keys-empty",
                ),
            ),
        ),
        spacing="4",
    )


def _routing_card() -> rx.Component:
    return section(
        "Routing mode",
        rx.text(
            "Usage is billed at the model's provider rate plus the markup of your routing mode. ",
            rx.link("See model rates", href=routes.MODELS),
            ".",
            size="2",
            color=rx.color("gray", 11),
        ),
        rx.segmented_control.root(
            rx.segmented_control.item(rx.text("Auto ", KeysState.auto_markup), value=RoutingMode.AUTO.value),
            rx.segmented_control.item(rx.text("Tier ", KeysState.tier_markup), value=RoutingMode.TIER.value),
            value=KeysState.mode,
            on_change=KeysState.set_mode,
            data_testid="routing-mode",
        ),
        align="start",
    )


def keys_page() -> rx.Component:
    return page_frame(
        routes.KEYS,
        "API keys",
        _new_secret(),
        _create_form(),
        _keys_list(),
        _routing_card(),
        _budget_dialog(),
        needs=Permission.MANAGE_KEYS,
    )
