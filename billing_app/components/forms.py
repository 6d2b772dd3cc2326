"""Form pieces: visible labels, stacked forms, errors and hints."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_label(text: str | rx.Var, html_for: str) -> rx.Component:
    return rx.el.label(text, html_for=html_for, font_size="0.875rem", font_weight="500")


def labelled_input(
    label: str | rx.Var, name: str, *slots: rx.Component, type_: str = "text", **props: object
) -> rx.Component:
    """An input with its label above it (`slots`: what sits inside the input, e.g. a symbol)."""
    field_id = f"field-{name}"
    return rx.vstack(
        field_label(label, field_id),
        rx.input(*slots, id=field_id, name=name, type=type_, width="100%", size="3", **props),
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


def stacked_form(*fields: rx.Component, on_submit: Any, **stack: object) -> rx.Component:
    """A full-width form whose fields stack (`stack`: the stack's props; spacing 3 unless given)."""
    return rx.form(rx.vstack(*fields, **{"spacing": "3", "width": "100%", **stack}), on_submit=on_submit, width="100%")


def hint(*text: rx.Component | rx.Var | str) -> rx.Component:
    """Small grey text under a field or a heading."""
    return rx.text(*text, size="1", color=rx.color("gray", 11))
