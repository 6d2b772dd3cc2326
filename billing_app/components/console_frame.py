"""The console's page frame: the signed-in frame with the console's own navigation, shown
only to staff. Anyone else sees exactly what a path that does not exist shows (nothing at all
until the page has asked who they are), never a login page or a refusal."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.forms import field_label
from billing_app.components.layout import page_frame
from billing_app.components.not_found import TITLE, not_found
from billing_app.state.session import SessionState


def console_title(title: str) -> rx.Var:
    """The browser tab's title: the console's for staff, the 404 page's for anyone else."""
    return rx.cond(SessionState.is_staff, f"{title} · Console · billing_app", TITLE)  # type: ignore[return-value]


def _console_nav(active: str) -> rx.Component:
    return rx.hstack(
        *[
            rx.link(
                label,
                href=href,
                size="2",
                weight="medium",
                underline="none",
                color_scheme="indigo" if href == active else "gray",
                high_contrast=href != active,
                padding_x="0.7em",
                padding_y="0.3em",
                border_radius="999px",
                background=rx.color("indigo", 3) if href == active else "transparent",
                white_space="nowrap",
            )
            for label, href in routes.CONSOLE_NAV
        ],
        spacing="1",
        wrap="wrap",
        data_testid="console-nav",
    )


def console_frame(active: str, title: str, *children: rx.Component) -> rx.Component:
    """A console page: staff see it; anyone else, once the page knows, sees not_found()."""
    return rx.cond(
        SessionState.is_staff,
        page_frame(routes.CONSOLE, title, _console_nav(active), *children),
        rx.cond(SessionState.staff_checked, not_found(), rx.fragment()),
    )


def reason_input(name: str = "reason", field_id: str = "", **props: object) -> rx.Component:
    """The reason every console action asks for (kept in the audit log); `field_id` when a
    page has two such inputs."""
    field_id = field_id or f"field-{name}"
    return rx.vstack(
        field_label("Reason (kept in the audit log)", field_id),
        rx.input(id=field_id, name=name, required=True, width="100%", placeholder="Why?", **props),
        spacing="1",
        width="100%",
    )


def below_zero(message: rx.Var | str, on_confirm: object, label: str) -> rx.Component:
    """The service's below-zero warning, and the button that goes ahead anyway."""
    return rx.cond(
        message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert", size=16)),
            rx.callout.text(message),
            rx.button(label, color_scheme="tomato", on_click=on_confirm, data_testid="confirm-negative", size="2"),
            color_scheme="amber",
            width="100%",
            data_testid="below-zero",
        ),
    )


def notice(message: rx.Var | str, test_id: str = "console-notice") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-check", color_scheme="green", width="100%", data_testid=test_id),
    )


def muted(*children: object) -> rx.Component:
    return rx.text(*children, size="1", color=rx.color("gray", 11), overflow_wrap="anywhere")
