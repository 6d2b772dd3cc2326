"""Leaving the current org: what it means, and a button behind a confirmation. The Members page
shows it to owners and admins; Settings → Security to the roles that can't open Members."""

from __future__ import annotations

import reflex as rx

from billing_app.state.session import SessionState


def leave_explained() -> rx.Component:
    return rx.text(
        "You lose access to ",
        rx.text.strong(SessionState.org_name),
        " and are signed out of it. To come back you need a new invitation.",
        size="2",
        color=rx.color("gray", 11),
    )


def leave_button(on_leave: object) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("log-out", size=16),
                "Leave this organisation",
                color_scheme="tomato",
                variant="soft",
                width="fit-content",
                data_testid="leave-org",
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Leave ", SessionState.org_name, "?"),
            rx.alert_dialog.description(
                "You lose access at once and are signed out of it. Its owners or admins can invite you again later."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Leave", color_scheme="tomato", on_click=on_leave, data_testid="confirm-leave")
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )
