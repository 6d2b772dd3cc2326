"""The org page's money dialogs: refund a payment, credit or debit the balance. Each asks for a
reason, shows the service's refusal inline, and asks again when the balance would go below
zero (the service's own warning, then a button that sends it confirmed)."""

from __future__ import annotations

import reflex as rx

from billing_app.components.console_frame import below_zero, muted
from billing_app.components.forms import field_label, form_error
from billing_app.state.console_money import ConsoleManualState, ConsoleRefundState, MoneyDialogState


def _field(label: str, field_id: str, **props: object) -> rx.Component:
    return rx.vstack(
        field_label(label, field_id),
        rx.input(id=field_id, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def _buttons(busy: rx.Var | bool, on_submit: object, label: str, test_id: str) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        rx.button(label, loading=busy, on_click=on_submit, data_testid=test_id),
        justify="end",
        spacing="3",
        width="100%",
    )


def _money_dialog(
    state: type[MoneyDialogState],
    *,
    name: str,
    title: str,
    description: rx.Component,
    fields: list[rx.Component],
    anyway: str,
    submit: str,
    trigger: rx.Component | None = None,
) -> rx.Component:
    """A money dialog: its fields, then the reason, the refusal, the below-zero question and the
    buttons. `name` prefixes the test ids ("refund-reason", "refund-submit" …)."""
    content = rx.dialog.content(
        rx.dialog.title(title),
        rx.dialog.description(description),
        rx.vstack(
            *fields,
            form_error(state.error),
            below_zero(state.below_zero, state.submit(True), anyway),  # type: ignore[operator]
            _buttons(state.busy, state.submit(False), submit, f"{name}-submit"),  # type: ignore[operator]
            spacing="3",
            margin_top="1em",
            width="100%",
        ),
        max_width="480px",
        data_testid=f"{name}-dialog",
    )
    parts = [rx.dialog.trigger(trigger), content] if trigger is not None else [content]
    return rx.dialog.root(*parts, open=state.open, on_open_change=state.set_open)


def _reason(state: type[MoneyDialogState], name: str) -> rx.Component:
    return _field(
        "Reason (kept in the audit log)",
        f"{name}-reason",
        value=state.reason,
        on_change=state.set_reason,
        placeholder="Why?",
        data_testid=f"{name}-reason",
    )


def _amount(state: type[MoneyDialogState], name: str, label: str) -> rx.Component:
    return _field(
        label,
        f"{name}-amount",
        value=state.amount,
        on_change=state.set_amount,
        input_mode="decimal",
        data_testid=f"{name}-amount",
    )


def refund_dialog() -> rx.Component:
    state = ConsoleRefundState
    return _money_dialog(
        state,
        name="refund",
        title="Refund a payment",
        description=rx.text("Payment ", rx.code(state.payment_id), " through Razorpay.", size="2"),
        fields=[
            _amount(state, "refund", "Amount (₹)"),
            muted("Prefilled with what is left to refund. The credits come off in proportion."),
            _reason(state, "refund"),
            muted("The customer gets an email; the reason is not in it."),
        ],
        anyway="Refund anyway",
        submit="Refund",
    )


def manual_dialog() -> rx.Component:
    state = ConsoleManualState
    return _money_dialog(
        state,
        name="manual",
        title="Manual credit or debit",
        description=rx.text(
            "Above ",
            state.limit,
            " either way, it waits for another staff member's approval before it posts.",
            size="2",
        ),
        fields=[
            rx.segmented_control.root(
                rx.segmented_control.item("Credit", value="credit"),
                rx.segmented_control.item("Debit", value="debit"),
                value=state.direction,
                on_change=state.set_direction,
                data_testid="manual-direction",
            ),
            _amount(state, "manual", "Amount"),
            _reason(state, "manual"),
        ],
        anyway="Debit anyway",
        submit="Post",
        trigger=rx.button(
            rx.icon("scale", size=16),
            "Manual credit/debit",
            variant="soft",
            on_click=state.start,
            data_testid="manual-open",
        ),
    )
