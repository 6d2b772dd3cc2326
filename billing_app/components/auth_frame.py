"""The frame around the signed-out pages (login, signup)."""

from __future__ import annotations

import reflex as rx

from billing_app.components.ready import ready_marker


def auth_frame(title: str, subtitle: str | rx.Var[str], *children: rx.Component) -> rx.Component:
    return rx.center(
        ready_marker(),
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("zap", size=22), rx.text("billing_app", weight="bold", size="4"), align="center"),
                rx.heading(title, size="6"),
                rx.text(subtitle, color=rx.color("gray", 11), size="2", data_testid="auth-subtitle"),
                *children,
                spacing="4",
                width="100%",
            ),
            size="4",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="1em",
        background=rx.color("gray", 2),
    )
