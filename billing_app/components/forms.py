"""Form pieces with visible labels."""

from __future__ import annotations

import reflex as rx


def labelled_input(label: str, name: str, *, type_: str = "text", **props: object) -> rx.Component:
    field_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_size="0.875rem", font_weight="500"),
        rx.input(id=field_id, name=name, type=type_, width="100%", size="3", **props),
        spacing="1",
        width="100%",
        align="stretch",
    )


def form_error(message: rx.Var[str] | str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(
            message, icon="triangle-alert", color_scheme="red", role="alert", width="100%", data_testid="form-error"
        ),
    )
