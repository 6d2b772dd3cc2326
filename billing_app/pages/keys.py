"""API keys: create one (the secret is shown once), see spend and last use, change a key's
monthly budget, revoke; and the org's routing mode (which markup its usage is billed with)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import form_error, labelled_input
from billing_app.components.layout import card, page_frame
from billing_app.errors import BillingAppError
from billing_app.ist import display_ist
from billing_app.models import ApiKey, RoutingMode
from billing_app.money import AmountError, format_money, parse_typed_amount, plain_amount
from billing_app.services import api_keys, pricing
from billing_app.state.session import call_service, current_principal


def key_row(key: ApiKey, currency: str) -> dict[str, str]:
    budget = key.monthly_budget_micros
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": f"{key.prefix}…",
        "created": display_ist(key.created_at),
        "last_used": display_ist(key.last_used_at) if key.last_used_at else "Never",
        "spend": format_money(api_keys.month_spend(key), currency),
        "budget": "No limit" if budget is None else format_money(budget, currency),
        "budget_input": "" if budget is None else plain_amount(budget),
        "revoked": "1" if key.revoked_at else "",
    }


BUDGET_HELP = "Enter the monthly budget as an amount, e.g. 500, or leave it empty for no limit."


def budget_micros(text: str) -> int | None:
    """A budget as typed ("500", "₹1,000"); empty: no budget. Raises AmountError."""
    return parse_typed_amount(text) if text.strip() else None


class KeysState(rx.State):
    rows: list[dict[str, str]] = []
    loading: bool = True
    name: str = ""
    budget: str = ""
    error: str = ""
    creating: bool = False
    new_secret: str = ""  # the key just created: shown once, gone when dismissed
    new_name: str = ""
    mode: str = RoutingMode.AUTO.value
    # The budget dialog: the key being changed ("" when closed) and the amount typed.
    editing_id: str = ""
    editing_name: str = ""
    editing_budget: str = ""
    editing_error: str = ""
    saving_budget: bool = False
    auto_markup: str = ""
    tier_markup: str = ""

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self)
        if principal is None:
            return
        keys = await call_service(api_keys.list_keys, org_id=principal.org_id)
        self.rows = [key_row(k, principal.currency) for k in keys]
        profile = await call_service(pricing.get_routing_profile, org_id=principal.org_id)
        self.mode = profile.mode
        self.auto_markup = f"+{pricing.markup_percent(RoutingMode.AUTO)} %"
        self.tier_markup = f"+{pricing.markup_percent(RoutingMode.TIER)} %"
        self.loading = False

    @rx.event
    def set_name(self, value: str) -> None:
        self.name = value
        self.error = ""

    @rx.event
    def set_budget(self, value: str) -> None:
        self.budget = value
        self.error = ""

    @rx.event
    async def create(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The inputs are controlled: `form` repeats what name and budget already hold."""
        if self.creating:
            return
        principal = await current_principal(self)
        if principal is None:
            return
        try:
            budget = budget_micros(self.budget)
        except AmountError:
            self.error = BUDGET_HELP
            return
        self.creating = True
        yield
        try:
            created = await call_service(
                api_keys.create_key,
                org_id=principal.org_id,
                name=self.name,
                monthly_budget_micros=budget,
                user_id=principal.user_id,
            )
        except BillingAppError as exc:
            self.error = exc.message
            self.creating = False
            return
        self.new_secret, self.new_name = created.secret, created.key.name
        self.name, self.budget, self.creating = "", "", False
        yield KeysState.load

    @rx.event
    def start_budget_edit(self, key_id: str, name: str, budget: str) -> None:
        self.editing_id, self.editing_name, self.editing_budget, self.editing_error = key_id, name, budget, ""

    @rx.event
    def close_budget_edit(self, open_: bool = False) -> None:
        if not open_:
            self.editing_id = ""

    @rx.event
    def set_editing_budget(self, value: str) -> None:
        self.editing_budget = value
        self.editing_error = ""

    @rx.event
    async def save_budget(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The input is controlled: `form` repeats what editing_budget holds."""
        principal = await current_principal(self)
        if principal is None or not self.editing_id or self.saving_budget:
            return
        try:
            budget = budget_micros(self.editing_budget)
        except AmountError:
            self.editing_error = BUDGET_HELP
            return
        self.saving_budget = True
        yield
        try:
            key = await call_service(
                api_keys.set_budget, org_id=principal.org_id, key_id=int(self.editing_id), monthly_budget_micros=budget
            )
        except BillingAppError as exc:
            self.editing_error, self.saving_budget = exc.message, False
            return
        self.editing_id, self.saving_budget = "", False
        limit = "no monthly limit" if budget is None else f"{format_money(budget, principal.currency)} a month"
        yield rx.toast.success(f"Budget of {key.name}: {limit}.")
        yield KeysState.load

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret = ""
        self.new_name = ""

    @rx.event
    async def revoke(self, key_id: str):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None:
            return
        try:
            await call_service(api_keys.revoke_key, org_id=principal.org_id, key_id=int(key_id))
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
            return
        yield rx.toast.success("Key revoked. Requests with it now get 401 invalid_api_key.")
        yield KeysState.load

    @rx.event
    async def set_mode(self, mode: str | list[str]):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None or not isinstance(mode, str) or mode == self.mode:
            return
        try:
            profile = await call_service(pricing.set_routing_mode, org_id=principal.org_id, mode=mode)
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
            return
        self.mode = profile.mode
        yield rx.toast.success(f"Routing mode set to {profile.mode}.")


def _create_form() -> rx.Component:
    return card(
        rx.form(
            rx.vstack(
                rx.heading("Create a key", size="4"),
                rx.grid(
                    labelled_input(
                        "Key name", "name", value=KeysState.name, on_change=KeysState.set_name, placeholder="production"
                    ),
                    labelled_input(
                        "Monthly budget (₹, optional)",
                        "budget",
                        value=KeysState.budget,
                        on_change=KeysState.set_budget,
                        placeholder="No limit",
                        input_mode="decimal",
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "The budget is per IST calendar month; once spent, requests get 429 budget_exceeded.",
                    size="1",
                    color=rx.color("gray", 11),
                ),
                form_error(KeysState.error),
                rx.button(
                    rx.icon("plus", size=16),
                    "Create key",
                    type="submit",
                    loading=KeysState.creating,
                    disabled=KeysState.name.strip() == "",  # type: ignore[attr-defined]
                    data_testid="create-key",
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=KeysState.create,
            width="100%",
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


def _revoke_button(row: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Revoke", color_scheme="tomato", variant="soft", size="1", data_testid="revoke-key"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke ", row["name"], "?"),
            rx.alert_dialog.description("Requests with this key will be refused at once. This cannot be undone."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Revoke key", color_scheme="tomato", on_click=KeysState.revoke(row["id"]))  # type: ignore[operator]
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )


def _budget_button(row: rx.Var) -> rx.Component:
    return rx.button(
        "Budget",
        variant="soft",
        color_scheme="gray",
        size="1",
        on_click=KeysState.start_budget_edit(row["id"], row["name"], row["budget_input"]),  # type: ignore[operator]
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
            rx.form(
                rx.vstack(
                    labelled_input(
                        "Monthly budget (₹)",
                        "edit_budget",
                        value=KeysState.editing_budget,
                        on_change=KeysState.set_editing_budget,
                        placeholder="No limit",
                        input_mode="decimal",
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
                    spacing="3",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=KeysState.save_budget,
                width="100%",
            ),
            data_testid="budget-dialog",
        ),
        open=KeysState.editing_id != "",
        on_open_change=KeysState.close_budget_edit,
    )


def _status(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["revoked"] == "1",
        rx.badge("Revoked", color_scheme="gray", variant="soft"),
        rx.hstack(_budget_button(row), _revoke_button(row), spacing="2", justify="end"),
    )


def _key_table_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium")),
        rx.table.cell(rx.code(row["prefix"]), white_space="nowrap"),
        rx.table.cell(row["last_used"], white_space="nowrap"),
        rx.table.cell(row["spend"], text_align="right", white_space="nowrap"),
        rx.table.cell(row["budget"], text_align="right", white_space="nowrap"),
        rx.table.cell(_status(row), text_align="right"),
        data_testid="key-row",
        opacity=rx.cond(row["revoked"] == "1", "0.6", "1"),
    )


def _key_item(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(row["name"], weight="bold"),
            rx.spacer(),
            _status(row),
            width="100%",
            align="center",
        ),
        rx.code(row["prefix"], margin_top="0.25em"),
        rx.hstack(
            rx.text("This month ", row["spend"], " of ", row["budget"], size="1", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.text("Used ", row["last_used"], size="1", color=rx.color("gray", 11)),
            width="100%",
            wrap="wrap",
            margin_top="0.25em",
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        opacity=rx.cond(row["revoked"] == "1", "0.6", "1"),
        width="100%",
        data_testid="key-item",
    )


def _keys_list() -> rx.Component:
    return card(
        rx.vstack(
            rx.heading("Your keys", size="4"),
            rx.cond(
                KeysState.loading,
                rx.vstack(rx.skeleton(height="2em"), rx.skeleton(height="2em"), width="100%"),
                rx.cond(
                    KeysState.rows.length() > 0,  # type: ignore[attr-defined]
                    rx.box(
                        rx.box(rx.foreach(KeysState.rows, _key_item), display=["block", "block", "none"]),
                        rx.box(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell("Name"),
                                        rx.table.column_header_cell("Key"),
                                        rx.table.column_header_cell("Last used (IST)"),
                                        rx.table.column_header_cell("This month", text_align="right"),
                                        rx.table.column_header_cell("Monthly budget", text_align="right"),
                                        rx.table.column_header_cell(""),
                                    )
                                ),
                                rx.table.body(rx.foreach(KeysState.rows, _key_table_row)),
                                width="100%",
                                variant="surface",
                                data_testid="keys-table",
                            ),
                            display=["none", "none", "block"],
                        ),
                        width="100%",
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
            width="100%",
        )
    )


def _routing_card() -> rx.Component:
    return card(
        rx.vstack(
            rx.heading("Routing mode", size="4"),
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
            spacing="3",
            width="100%",
            align="start",
        )
    )


def keys_page() -> rx.Component:
    return page_frame(
        routes.KEYS, "API keys", _new_secret(), _create_form(), _keys_list(), _routing_card(), _budget_dialog()
    )
