"""The account menu's organisation part: the org this session acts for, and, for a person in
several, the others to switch to (switching reloads the page: every figure is the new org's)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from billing_app.state.orgs import OrgSwitcherState
from billing_app.state.session import SessionState


def current_org() -> rx.Component:
    return rx.text(SessionState.org_name, size="1", color=rx.color("gray", 11), data_testid="current-org")


def _choice(org: ObjectVar) -> rx.Component:
    return rx.menu.item(
        rx.text(org.name, trim="both", overflow="hidden", text_overflow="ellipsis", white_space="nowrap"),
        shortcut=org.detail,
        on_click=OrgSwitcherState.switch(org.id),  # type: ignore[operator]
        max_width="320px",
        data_testid="switch-org",
    )


def other_orgs() -> rx.Component:
    """Nothing for a person in one org. The list is read each time the menu opens (the menu's
    content mounts then), so an org joined since the page loaded is there."""
    return rx.fragment(
        rx.cond(
            OrgSwitcherState.others.length() > 0,  # type: ignore[attr-defined]
            rx.fragment(
                rx.menu.separator(),
                rx.box(  # padded as the name above it, to line up with the items
                    rx.text("Switch organisation", size="1", color=rx.color("gray", 11)), padding="0.25em 0.75em"
                ),
                rx.foreach(OrgSwitcherState.others, _choice),
            ),
        ),
        on_mount=OrgSwitcherState.load,
    )
