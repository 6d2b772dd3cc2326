"""Settings → Auto top-up: authorise a mandate once in Razorpay Checkout, set the rule, try it
on the last 30 days, and see (or skip) a top-up that has been notified."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import field_label, form_error, hint, stacked_form
from billing_app.components.layout import page_frame, section
from billing_app.components.money_input import money_input
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.services.roles import Permission
from billing_app.state.autotopup import MAXIMUMS, AutoTopupState

_MUTED = rx.color("gray", 11)
S = AutoTopupState


def _fact(label: str, value: rx.Var | str, test_id: str, **props: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=_MUTED),
        rx.text(value, size="3", weight="medium", data_testid=test_id, overflow_wrap="anywhere"),
        spacing="0",
        min_width="0",
        **props,
    )


def _notices() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.notice != "",
            rx.callout(S.notice, icon="info", width="100%", data_testid="autotopup-notice"),
        ),
        form_error(S.mandate_error),
    )


# --- the mandate -------------------------------------------------------------------------


def _explanation() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Auto top-up adds credits for you before your balance runs low, charging the card or UPI "
            "AutoPay mandate you authorise once here.",
            size="2",
        ),
        rx.text(
            "Indian e-mandate rules apply: you are told about each top-up about a day before it is "
            "charged (you can skip it), and a debit above ₹15,000 needs your OTP, so top-ups stay at "
            "or below it.",
            size="2",
            color=_MUTED,
        ),
        spacing="1",
        data_testid="autotopup-explanation",
    )


def _authorise_form() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                field_label("Pay with", "mandate-method"),
                rx.segmented_control.root(
                    rx.segmented_control.item("UPI AutoPay", value="upi"),
                    rx.segmented_control.item("Card", value="card"),
                    id="mandate-method",
                    value=S.method,
                    on_change=S.set_method,
                    data_testid="mandate-method",
                ),
                spacing="1",
            ),
            rx.vstack(
                field_label("Maximum per top-up", "mandate-maximum"),
                rx.select.root(
                    rx.select.trigger(id="mandate-maximum", data_testid="mandate-maximum", min_width="9em"),
                    rx.select.content(*[rx.select.item(f"₹{int(m):,}", value=m) for m in MAXIMUMS]),
                    value=S.maximum,
                    on_change=S.set_maximum,
                ),
                spacing="1",
            ),
            gap="1.25em",
            wrap="wrap",
            align="end",
        ),
        rx.button(
            rx.icon("shield-check", size=16),
            "Authorise",
            on_click=S.authorise,
            loading=S.authorising,
            size="3",
            data_testid="authorise-mandate",
        ),
        hint(
            "Razorpay Checkout opens: approve the mandate in your UPI app or with your card's OTP. "
            "A ₹1 authorisation is charged and refunded."
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _waiting() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.spinner(size="2")),
        rx.callout.text("Mandate authorised. Waiting for the bank's confirmation: this usually takes a moment."),
        rx.button(
            "Check again",
            size="1",
            variant="soft",
            width="fit-content",
            on_click=S.refresh,
            data_testid="mandate-refresh",
        ),
        color_scheme="blue",
        width="100%",
        data_testid="mandate-waiting",
    )


def _stopped() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert", size=16)),
        rx.callout.text(S.mandate.stopped),
        rx.cond(
            S.mandate.bank_reason != "",
            rx.callout.text("Reason given: ", S.mandate.bank_reason, size="1"),
        ),
        rx.callout.text("Authorise a new mandate below to use auto top-up again.", size="1"),
        color_scheme="amber",
        width="100%",
        data_testid="mandate-stopped",
    )


def _cancel_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Cancel mandate", color_scheme="tomato", variant="soft", data_testid="cancel-mandate"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel the mandate?"),
            rx.alert_dialog.description(
                "It is cancelled at Razorpay and your bank at once, and auto top-up turns off. A top-up "
                "already notified is not charged. To use auto top-up again you authorise a new mandate."
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Cancel mandate", color_scheme="tomato", on_click=S.cancel_mandate, data_testid="confirm-cancel"
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
                wrap="wrap",
            ),
        ),
    )


def _confirmed() -> rx.Component:
    return rx.vstack(
        rx.grid(
            # a UPI id is long: the whole row on a phone
            _fact(
                "Instrument",
                S.mandate.instrument,
                "mandate-instrument",
                grid_column=rx.breakpoints(initial="span 2", sm="auto"),
            ),
            _fact("Via", S.mandate.method, "mandate-method-name"),
            _fact("Up to, per top-up", S.mandate.maximum, "mandate-maximum-shown"),
            _fact("Valid until", S.mandate.expires, "mandate-expiry"),
            columns=rx.breakpoints(initial="2", sm="4"),
            spacing="4",
            width="100%",
        ),
        _cancel_button(),
        spacing="4",
        width="100%",
        data_testid="mandate-confirmed",
    )


def _mandate_body() -> rx.Component:
    return rx.match(
        S.mandate.status,
        ("confirmed", _confirmed()),
        ("paused", rx.vstack(_stopped(), _confirmed(), spacing="3", width="100%")),
        (
            "pending",
            rx.cond(
                S.waiting,
                _waiting(),
                rx.vstack(_explanation(), _authorise_form(), spacing="4", width="100%"),
            ),
        ),
        (
            "rejected",
            rx.vstack(_stopped(), _explanation(), _authorise_form(), spacing="4", width="100%"),
        ),
        (
            "cancelled",
            rx.vstack(_stopped(), _explanation(), _authorise_form(), spacing="4", width="100%"),
        ),
        rx.vstack(_explanation(), _authorise_form(), spacing="4", width="100%", data_testid="no-mandate"),
    )


def _mandate_card() -> rx.Component:
    return section(
        rx.hstack(
            rx.heading("Mandate", size="4"),
            rx.cond(S.mandate.status == "confirmed", rx.badge("Active", color_scheme="grass")),
            rx.cond(S.mandate.status == "paused", rx.badge("Paused", color_scheme="amber")),
            align="center",
        ),
        _mandate_body(),
        test_id="mandate-card",
    )


# --- the pending debit -------------------------------------------------------------------


def _withdrawn_debit() -> rx.Component:
    """A notified top-up whose auto top-up was turned off (or whose mandate stopped) before its
    charge: the job withdraws it; it is never charged."""
    d = S.debit
    return rx.callout.root(
        rx.callout.icon(rx.icon("calendar-x", size=16)),
        rx.callout.text(
            "The top-up of ", d.amount, " notified on ", d.notified_at, " will not be charged: auto top-up is off."
        ),
        rx.callout.text("Reference ", rx.code(d.reference), size="1"),
        color_scheme="gray",
        width="100%",
        data_testid="withdrawn-debit",
    )


def _scheduled_debit() -> rx.Component:
    d = S.debit
    return rx.callout.root(
        rx.callout.icon(rx.icon("calendar-clock", size=16)),
        rx.callout.text(
            rx.text.strong("A top-up of ", d.amount, " is scheduled."),
            " It will be charged on or after ",
            rx.text.strong(d.charge_after),
            rx.cond(d.charging, " and is being charged now.", "."),
        ),
        rx.callout.text("Reference ", rx.code(d.reference), " · notified ", d.notified_at, size="1"),
        rx.cond(
            d.last_error != "",
            rx.callout.text("The last attempt failed (", d.last_error, "); it will be tried again.", size="1"),
        ),
        rx.cond(
            d.charging,
            rx.fragment(),
            rx.button(
                "Skip this top-up",
                size="2",
                variant="soft",
                color_scheme="amber",
                width="fit-content",
                on_click=S.skip(d.id),  # type: ignore[operator]
                data_testid="skip-debit",
            ),
        ),
        color_scheme="amber",
        width="100%",
        data_testid="pending-debit",
    )


def _pending_card() -> rx.Component:
    going_ahead = S.rule.enabled & (S.mandate.status == "confirmed")  # type: ignore[operator]
    withdrawn = ~going_ahead & ~S.debit.charging  # type: ignore[operator]
    return rx.cond(S.debit.id != 0, rx.cond(withdrawn, _withdrawn_debit(), _scheduled_debit()))


# --- the rule ----------------------------------------------------------------------------


def _field_error(name: str) -> rx.Component:
    message = S.errors.get(name, "")  # type: ignore[attr-defined]
    return rx.cond(
        message != "",
        rx.text(message, size="1", color=rx.color("tomato", 11), role="alert", data_testid=f"error-{name}"),
    )


def _field(label: str, name: str, value: Any, on_change: Any, help_text: str, **props: Any) -> rx.Component:
    return rx.vstack(
        money_input(label, name, value=value, on_change=on_change, **props),
        _field_error(name),
        hint(help_text),
        spacing="1",
        width="100%",
        min_width="0",
    )


def _switch_row() -> rx.Component:
    confirmed = S.mandate.status == "confirmed"
    return rx.flex(
        rx.el.label(
            rx.switch(
                checked=S.rule.enabled,
                on_change=S.switch,
                disabled=~confirmed | S.saving,  # type: ignore[operator]
                size="3",
                flex_shrink="0",
                data_testid="autotopup-switch",
            ),
            rx.text(rx.cond(S.rule.enabled, "Auto top-up is on", "Auto top-up is off"), weight="medium"),
            display="flex",
            align_items="center",
            gap="0.6em",
        ),
        rx.cond(S.rule.enabled_at != "", hint("On since ", S.rule.enabled_at)),
        rx.cond(~confirmed, hint("It can be turned on once your bank has confirmed a mandate.")),  # type: ignore[operator]
        direction="column",
        spacing="1",
        data_testid="autotopup-status",
    )


def _rule_form() -> rx.Component:
    return stacked_form(
        rx.grid(
            _field(
                "Top up by",
                "amount",
                S.amount,
                S.set_amount,
                "A whole amount, within the top-up limits.",
                whole=True,
                placeholder="500",
            ),
            _field(
                "Before the balance falls below",
                "floor",
                S.floor,
                S.set_floor,
                "The balance to keep above.",
                placeholder="200",
            ),
            _field(
                "At most per month",
                "monthly_cap",
                S.monthly_cap,
                S.set_monthly_cap,
                "Per calendar month (IST).",
                whole=True,
                placeholder="2000",
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        form_error(S.form_error),
        rx.flex(
            rx.button("Save rule", type="submit", loading=S.saving, data_testid="save-rule"),
            rx.button(
                rx.icon("flask-conical", size=16),
                "Dry run",
                type="button",
                variant="soft",
                on_click=S.run_dry_run,
                loading=S.dry_busy,
                data_testid="run-dry-run",
            ),
            spacing="3",
            wrap="wrap",
        ),
        on_submit=S.save,
        spacing="4",
    )


def _sentence() -> rx.Component:
    # While a top-up is pending the notice above says what happens next; the forecast would
    # only repeat "now".
    return rx.cond(
        (S.sentence != "") & (S.debit.id == 0),  # type: ignore[operator]
        rx.hstack(
            rx.icon("trending-down", size=18, color=_MUTED, flex_shrink="0", margin_top="2px"),
            rx.text(S.sentence, size="2", data_testid="autotopup-sentence"),
            spacing="2",
            align="start",
            padding="0.75em",
            border_radius="8px",
            background=rx.color("indigo", 2),
            width="100%",
        ),
    )


def _rule_card() -> rx.Component:
    return section(
        "Rule",
        _switch_row(),
        rx.cond(
            S.rule.disabled_reason != "",
            rx.callout(S.rule.disabled_reason, icon="info", color_scheme="gray", width="100%", data_testid="off-why"),
        ),
        _sentence(),
        _rule_form(),
        spacing="4",
        test_id="rule-card",
    )


# --- the dry run -------------------------------------------------------------------------


def _topup_item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(
            rx.text(row.amount, weight="bold"),
            rx.cond(row.late, rx.badge("late", color_scheme="tomato")),
            rx.cond(row.pending, rx.badge("still pending", color_scheme="gray")),
            spacing="2",
            align="center",
        ),
        rx.text("Notified ", row.notified_at, size="1", color=_MUTED),
        rx.text("Charged ", row.charged_at, size="1", color=_MUTED),
        rx.text("Balance at notice ", row.balance_at_notice, size="1", color=_MUTED),
        test_id="dry-run-row",
    )


def _dry_summary() -> rx.Component:
    dry = S.dry
    return rx.grid(
        _fact("Top-ups", dry.count.to_string() + " · " + dry.total, "dry-run-count"),  # type: ignore[attr-defined]
        _fact("Lowest balance", dry.lowest_balance, "dry-run-lowest"),
        _fact("Lowest at", dry.lowest_at, "dry-run-lowest-at"),
        columns=rx.breakpoints(initial="1", sm="3"),
        spacing="3",
        width="100%",
    )


def _dry_outcome() -> rx.Component:
    dry = S.dry
    return rx.cond(
        dry.refused_from != "",
        rx.callout(
            rx.text("Requests would have been refused for lack of credits from ", dry.refused_from, "."),
            icon="circle-alert",
            color_scheme="tomato",
            width="100%",
            data_testid="dry-run-refused",
        ),
        rx.callout(
            "No request would have been refused.",
            icon="circle-check",
            color_scheme="grass",
            width="100%",
            data_testid="dry-run-ok",
        ),
    )


def _dry_run_card() -> rx.Component:
    dry = S.dry
    return section(
        rx.vstack(
            rx.heading("Dry run", size="4"),
            hint("What this rule would have done over the last 30 days of your real usage. Nothing is charged."),
            spacing="1",
        ),
        form_error(S.dry_error),
        rx.cond(
            dry.ran,
            rx.vstack(
                rx.text(dry.period, " · starting balance ", dry.starting_balance, size="2", color=_MUTED),
                _dry_summary(),
                _dry_outcome(),
                rx.cond(
                    dry.held_by_cap != "",
                    hint("The monthly cap held a top-up back on ", dry.held_by_cap, "."),
                ),
                rx.cond(
                    S.dry_topups.length() > 0,  # type: ignore[attr-defined]
                    responsive_list(
                        S.dry_topups,
                        columns=[
                            Column("Notified (IST)", lambda row: rx.text(row.notified_at, size="2")),
                            Column("Charged (IST)", lambda row: rx.text(row.charged_at, size="2")),
                            Column("Balance at notice", lambda row: row.balance_at_notice, numeric=True),
                            Column(
                                "Amount",
                                lambda row: rx.hstack(
                                    rx.cond(row.pending, rx.badge("still pending", color_scheme="gray")),
                                    rx.cond(row.late, rx.badge("late", color_scheme="tomato")),
                                    rx.text(row.amount, weight="medium"),
                                    spacing="2",
                                    justify="end",
                                ),
                                numeric=True,
                            ),
                        ],
                        item=_topup_item,
                        table_test_id="dry-run-table",
                        row_test_id="dry-run-row",
                    ),
                    empty_state(
                        "calendar-check",
                        "No top-up in the last 30 days",
                        "With this rule your balance would have stayed above the floor without one.",
                        testid="dry-run-empty",
                    ),
                ),
                spacing="3",
                width="100%",
                data_testid="dry-run-result",
            ),
            hint("Press “Dry run” under the rule to try it before you turn it on."),
        ),
        test_id="dry-run-card",
    )


# --- the page ----------------------------------------------------------------------------


def _loading() -> rx.Component:
    return rx.vstack(rx.skeleton(height="9em"), rx.skeleton(height="14em"), spacing="4", width="100%")


def _load_error() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert", size=16)),
        rx.callout.text("Auto top-up could not be loaded: ", S.load_error),
        rx.button("Try again", size="1", variant="soft", on_click=S.load),
        color_scheme="red",
        width="100%",
        data_testid="autotopup-load-error",
    )


def _content() -> rx.Component:
    return rx.cond(
        S.load_error != "",
        _load_error(),
        rx.cond(
            S.loading,
            _loading(),
            rx.vstack(
                _notices(),
                _pending_card(),
                _mandate_card(),
                _rule_card(),
                _dry_run_card(),
                spacing="5",
                width="100%",
            ),
        ),
    )


def autotopup_page() -> rx.Component:
    return page_frame(
        routes.SETTINGS,
        "Auto top-up",
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), "Settings", spacing="1", align="center"),
            href=routes.SETTINGS,
            size="2",
            class_name="no-print",
        ),
        _content(),
        needs=Permission.PAY,
    )
