"""An amount input: the org's currency symbol in front, a numeric keyboard on a phone."""

from __future__ import annotations

import reflex as rx

from billing_app.state.session import SessionState


def money_input(input_id: str, name: str, *, whole: bool = False, **props: object) -> rx.Component:
    """`whole`: whole amounts only (top-ups), so no decimal key on the phone's keyboard."""
    return rx.input(
        rx.input.slot(SessionState.currency_symbol),
        id=input_id,
        name=name,
        input_mode="numeric" if whole else "decimal",
        size="3",
        width="100%",
        max_width="16em",
        **props,
    )
