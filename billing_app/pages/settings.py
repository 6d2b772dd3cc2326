"""Settings: the low-balance alert. Set, change or clear the threshold, shown beside the
current balance."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.forms import form_error, stacked_form
from billing_app.components.layout import page_frame, section
from billing_app.components.money_input import money_input
from billing_app.components.role_gate import only_for
from billing_app.errors import BillingAppError
from billing_app.ist import display_ist
from billing_app.money import AmountError, format_money, plain_amount
from billing_app.services import alerts
from billing_app.services.roles import Permission
from billing_app.state.session import SessionState, call_service, current_principal

AMOUNT_HELP = "Enter the threshold as an amount, e.g. 500 or 250.50."


class SettingsState(rx.State):
    loading: bool = True
    balance: str = ""
    threshold: str = ""  # formatted; "" while alerts are off
    below: bool = False
    recipient: str = ""
    last_alert: str = ""
    amount: str = ""  # the input
    error: str = ""
    saving: bool = False

    def _show(self, found: alerts.AlertSettings) -> None:
        self.balance = format_money(found.balance_micros, found.currency)
        self.threshold = "" if found.threshold_micros is None else format_money(found.threshold_micros, found.currency)
        self.amount = "" if found.threshold_micros is None else plain_amount(found.threshold_micros)
        self.below = found.below
        self.recipient = found.recipient or ""
        self.last_alert = display_ist(found.last_alert_at) if found.last_alert_at else ""
        self.loading = False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.MANAGE_ALERTS)
        if principal is None:
            return
        self._show(await call_service(alerts.get_alert_settings, org_id=principal.org_id))
        self.error = ""
        yield SessionState.refresh_balance

    @rx.event
    def set_amount(self, value: str) -> None:
        self.amount = value
        self.error = ""

    @rx.event
    async def save(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The input is controlled: `form` repeats what `amount` already holds."""
        principal = await current_principal(self, Permission.MANAGE_ALERTS)
        if principal is None or self.saving:
            return
        try:
            micros = alerts.parse_threshold(self.amount)
        except AmountError:
            self.error = AMOUNT_HELP
            return
        self.saving = True
        yield
        try:
            found = await call_service(alerts.set_threshold, org_id=principal.org_id, threshold_micros=micros)
        except BillingAppError as exc:
            self.error, self.saving = exc.message, False
            return
        self._show(found)
        self.saving = False
        yield rx.toast.success(f"Alert set: we will email you when the balance drops below {self.threshold}.")

    @rx.event
    async def clear(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.MANAGE_ALERTS)
        if principal is None:
            return
        try:
            await call_service(alerts.clear_threshold, org_id=principal.org_id)
            found = await call_service(alerts.get_alert_settings, org_id=principal.org_id)
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
            return
        self._show(found)
        self.error = ""
        yield rx.toast.success("Low-balance alert turned off.")


_FIGURE_SIZE = rx.breakpoints(initial="3", xs="5", sm="7")  # ₹1,00,000.00 fits a 390px screen


def _figure(label: str, value: rx.Component, test_id: str, **props: object) -> rx.Component:
    return rx.box(
        rx.text(label, size="2", color=rx.color("gray", 11)),
        rx.box(value, data_testid=test_id, overflow_wrap="anywhere"),
        padding=rx.breakpoints(initial="0.6em", sm="1em"),
        border_radius="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        min_width="0",
        **props,
    )


def _figures() -> rx.Component:
    """Balance and threshold side by side, on a phone too."""
    return rx.grid(
        _figure("Current balance", rx.heading(SettingsState.balance, size=_FIGURE_SIZE), "settings-balance"),
        _figure(
            "Alert threshold",
            rx.cond(
                SettingsState.threshold != "",
                rx.heading(SettingsState.threshold, size=_FIGURE_SIZE),
                rx.heading("Off", size=_FIGURE_SIZE, color=rx.color("gray", 10)),
            ),
            "settings-threshold",
            background=rx.cond(SettingsState.below, rx.color("amber", 2), "transparent"),
        ),
        columns="2",
        spacing="3",
        width="100%",
    )


def _form() -> rx.Component:
    return stacked_form(
        money_input(
            "Email me when the balance drops below",
            "threshold",
            max_width="16em",
            value=SettingsState.amount,
            on_change=SettingsState.set_amount,
            placeholder="500",
        ),
        form_error(SettingsState.error),
        rx.hstack(
            rx.button(
                rx.cond(SettingsState.threshold != "", "Update threshold", "Set alert"),
                type="submit",
                loading=SettingsState.saving,
                disabled=SettingsState.amount.strip() == "",  # type: ignore[attr-defined]
                data_testid="alert-save",
            ),
            rx.cond(
                SettingsState.threshold != "",
                rx.button(
                    "Turn off alert",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=SettingsState.clear,
                    data_testid="alert-clear",
                ),
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="2",
        align="start",
        on_submit=SettingsState.save,
    )


def _explanation() -> rx.Component:
    muted = rx.color("gray", 11)
    return rx.hstack(
        rx.icon("mail", size=18, color=muted, flex_shrink="0", margin_top="2px"),
        rx.vstack(
            rx.text(
                "One email at most every 24 hours, to the org owner's email",
                rx.cond(SettingsState.recipient != "", rx.fragment(": ", rx.text.strong(SettingsState.recipient))),
                size="2",
                overflow_wrap="anywhere",
            ),
            rx.text(
                "It is sent when a usage charge, refund or adjustment leaves the balance below the threshold. "
                "Setting the threshold or topping up sends nothing by itself.",
                size="2",
                color=muted,
            ),
            rx.cond(
                SettingsState.last_alert != "",
                rx.text("Last alert: ", SettingsState.last_alert, size="2", color=muted, data_testid="last-alert"),
            ),
            spacing="1",
        ),
        spacing="2",
        align="start",
        width="100%",
    )


def _below_notice() -> rx.Component:
    return rx.cond(
        SettingsState.below,
        rx.callout(
            rx.text(
                "Your balance is below the threshold. ",
                rx.link("Top up on the Billing page", href=routes.BILLING),
                ".",
            ),
            icon="triangle-alert",
            color_scheme="amber",
            width="100%",
            data_testid="below-threshold",
        ),
    )


def _alert_card() -> rx.Component:
    return section(
        "Low-balance alert",
        rx.cond(
            SettingsState.loading,
            rx.grid(rx.skeleton(height="5em"), rx.skeleton(height="5em"), columns="2", spacing="3", width="100%"),
            _figures(),
        ),
        _below_notice(),
        _form(),
        _explanation(),
        spacing="4",
    )


def _autotopup_link() -> rx.Component:
    """Settings' other page for those who pay: auto top-up."""
    return only_for(
        Permission.PAY,
        section(
            "Auto top-up",
            rx.text(
                "Top up automatically before your balance runs low, through a UPI AutoPay or card mandate. "
                "You are told a day before each charge and can skip it.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.link(
                rx.hstack(rx.text("Set up auto top-up"), rx.icon("arrow-right", size=14), spacing="1", align="center"),
                href=routes.AUTO_TOPUP,
                weight="medium",
                size="2",
                data_testid="settings-auto-topup",
            ),
        ),
    )


def settings_page() -> rx.Component:
    return page_frame(routes.SETTINGS, "Settings", _alert_card(), _autotopup_link(), needs=Permission.MANAGE_ALERTS)
