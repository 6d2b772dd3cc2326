"""Form pieces with visible labels."""

from __future__ import annotations

import reflex as rx


def field_label(text: str | rx.Var, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, font_size="0.875rem", font_weight="500")


def labelled_input(label: str | rx.Var, name: str, *, type_: str = "text", **props: object) -> rx.Component:
    field_id = f"field-{name}"
    return rx.vstack(
        field_label(label, field_id),
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
