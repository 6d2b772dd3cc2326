"""The notice on every signed-in page until the email address is verified: why the balance
is ₹0, and "resend"."""

from __future__ import annotations

import reflex as rx

from billing_app.state.session import SessionState


def verify_notice() -> rx.Component:
    return rx.cond(
        SessionState.email_verified,
        rx.fragment(),
        rx.callout.root(
            rx.callout.icon(rx.icon("mail")),
            rx.callout.text(
                "Verify your email address to receive your signup credit: open the link we sent to ",
                rx.text.strong(SessionState.email),
                ". Top-ups work meanwhile. ",
                rx.link(
                    "Send the link again",
                    on_click=SessionState.resend_verification,
                    data_testid="resend-verification",
                    cursor="pointer",
                ),
                rx.cond(SessionState.resend_note != "", rx.text(" ", SessionState.resend_note, as_="span")),
            ),
            color_scheme="amber",
            data_testid="verify-notice",
            class_name="no-print",
            width="100%",
        ),
    )
