"""The org page's money dialogs: refund a payment, credit or debit the balance. Each asks for a
reason, shows the service's refusal inline, and asks again when the balance would go below
zero (the service's own warning, then a button that sends it confirmed)."""

from __future__ import annotations

import reflex as rx

from billing_app.components.console_frame import below_zero, muted
from billing_app.components.forms import field_label, form_error
from billing_app.state.console_money import ConsoleManualState, ConsoleRefundState


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


def refund_dialog() -> rx.Component:
    state = ConsoleRefundState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Refund a payment"),
            rx.dialog.description(
                rx.text("Payment ", rx.code(state.payment_id), " through Razorpay.", size="2"),
            ),
            rx.vstack(
                _field(
                    "Amount (₹)",
                    "refund-amount",
                    value=state.amount,
                    on_change=state.set_amount,
                    input_mode="decimal",
                    data_testid="refund-amount",
                ),
                muted("Prefilled with what is left to refund. The credits come off in proportion."),
                _field(
                    "Reason (kept in the audit log)",
                    "refund-reason",
                    value=state.reason,
                    on_change=state.set_reason,
                    placeholder="Why?",
                    data_testid="refund-reason",
                ),
                muted("The customer gets an email; the reason is not in it."),
                form_error(state.error),
                below_zero(state.below_zero, state.submit(True), "Refund anyway"),  # type: ignore[operator]
                _buttons(state.busy, state.submit(False), "Refund", "refund-submit"),  # type: ignore[operator]
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
            max_width="480px",
            data_testid="refund-dialog",
        ),
        open=state.open,
        on_open_change=state.set_open,
    )


def manual_dialog() -> rx.Component:
    state = ConsoleManualState
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("scale", size=16),
                "Manual credit/debit",
                variant="soft",
                on_click=state.start,
                data_testid="manual-open",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Manual credit or debit"),
            rx.dialog.description(
                rx.text(
                    "Above ",
                    state.limit,
                    " either way, it waits for another staff member's approval before it posts.",
                    size="2",
                ),
            ),
            rx.vstack(
                rx.segmented_control.root(
                    rx.segmented_control.item("Credit", value="credit"),
                    rx.segmented_control.item("Debit", value="debit"),
                    value=state.direction,
                    on_change=state.set_direction,
                    data_testid="manual-direction",
                ),
                _field(
                    "Amount",
                    "manual-amount",
                    value=state.amount,
                    on_change=state.set_amount,
                    input_mode="decimal",
                    data_testid="manual-amount",
                ),
                _field(
                    "Reason (kept in the audit log)",
                    "manual-reason",
                    value=state.reason,
                    on_change=state.set_reason,
                    placeholder="Why?",
                    data_testid="manual-reason",
                ),
                form_error(state.error),
                below_zero(state.below_zero, state.submit(True), "Debit anyway"),  # type: ignore[operator]
                _buttons(state.busy, state.submit(False), "Post", "manual-submit"),  # type: ignore[operator]
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
            max_width="480px",
            data_testid="manual-dialog",
        ),
        open=state.open,
        on_open_change=state.set_open,
    )
