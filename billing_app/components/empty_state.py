"""What a list shows when there is nothing in it yet."""

from __future__ import annotations

import reflex as rx


def empty_state(icon: str, title: str, *explanation: rx.Component | str, testid: str) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=28, color=rx.color("gray", 9)),
            rx.text(title, weight="medium"),
            rx.text(*explanation, size="2", color=rx.color("gray", 11), text_align="center"),
            align="center",
            spacing="1",
        ),
        padding="2em",
        width="100%",  # centred in the card, not at the start of a stack
        data_testid=testid,
    )
