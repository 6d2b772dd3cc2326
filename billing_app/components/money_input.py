"""An amount field: its label, the org's currency symbol in front, a numeric keyboard on a phone."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app.components.forms import labelled_input
from billing_app.state.session import SessionState


def money_input(label: str | rx.Var, name: str, *, whole: bool = False, **props: Any) -> rx.Component:
    """`whole`: whole amounts only (top-ups), so no decimal key on the phone's keyboard."""
    keyboard = "numeric" if whole else "decimal"
    return labelled_input(label, name, rx.input.slot(SessionState.currency_symbol), input_mode=keyboard, **props)
