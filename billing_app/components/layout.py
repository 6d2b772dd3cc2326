"""The signed-in page frame: header with navigation and the balance in the top-right."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.org_switcher import current_org, other_orgs
from billing_app.components.ready import ready_marker
from billing_app.components.role_gate import allowed, only_for, refusal
from billing_app.components.verify_notice import verify_notice
from billing_app.services.roles import Permission
from billing_app.state.session import SessionState

# The permission each navigation link's page needs (none: every member may open it).
PAGE_NEEDS: dict[str, Permission] = {
    routes.BILLING: Permission.PAY,
    routes.USAGE: Permission.VIEW_USAGE,
    routes.KEYS: Permission.MANAGE_KEYS,
    routes.SETTINGS: Permission.MANAGE_ALERTS,
}


def _nav_links(active: str) -> list[rx.Component]:
    """The navigation, without the pages the role may not open; staff also get the console."""
    links = [only_for(PAGE_NEEDS.get(href), _nav_link(label, href, href == active)) for label, href in routes.NAV]
    console = _nav_link("Console", routes.CONSOLE, active == routes.CONSOLE)
    return [*links, rx.cond(SessionState.is_staff, console, rx.fragment())]


def _nav_link(label: str, href: str, active: bool) -> rx.Component:
    return rx.link(
        label,
        href=href,
        underline="none",
        weight="medium",
        size="2",
        color_scheme="indigo" if active else "gray",
        high_contrast=not active,
        padding_x="0.6em",
        padding_y="0.35em",
        border_radius="6px",
        background=rx.cond(active, rx.color("indigo", 3), "transparent"),
        white_space="nowrap",
    )


def _balance_badge() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("wallet", size=16),
            rx.text(SessionState.balance_display, weight="bold", data_testid="header-balance"),
            spacing="2",
            align="center",
        ),
        href=routes.BILLING,
        underline="none",
        color_scheme="indigo",
        padding_x="0.8em",
        padding_y="0.4em",
        border_radius="999px",
        border=f"1px solid {rx.color('indigo', 6)}",
        background=rx.color("indigo", 2),
        title="Credit balance",
        aria_label="Credit balance",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=SessionState.initials, size="1", radius="full"),
                rx.icon("chevron-down", size=14),
                variant="ghost",
                aria_label="Account menu",
                data_testid="account-menu",
            )
        ),
        rx.menu.content(
            rx.box(
                rx.text(SessionState.user_name, size="2", weight="bold"),
                current_org(),
                padding="0.25em 0.75em",
            ),
            other_orgs(),
            rx.menu.separator(),
            only_for(Permission.MANAGE_ALERTS, rx.menu.item("Settings", on_click=rx.redirect(routes.SETTINGS))),
            only_for(
                Permission.PAY,
                rx.menu.item("Auto top-up", on_click=rx.redirect(routes.AUTO_TOPUP), data_testid="menu-auto-topup"),
            ),
            only_for(
                Permission.MANAGE_MEMBERS,
                rx.menu.item("Members", on_click=rx.redirect(routes.MEMBERS), data_testid="menu-members"),
            ),
            rx.menu.item("Security", on_click=rx.redirect(routes.SECURITY), data_testid="menu-security"),
            only_for(
                Permission.VIEW_AUDIT,
                rx.menu.item("Activity", on_click=rx.redirect(routes.ACTIVITY), data_testid="menu-activity"),
            ),
            rx.menu.item("Sign out", on_click=SessionState.sign_out, data_testid="sign-out"),
        ),
    )


def header(active: str) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("zap", size=18), rx.text("billing_app", weight="bold"), spacing="1", align="center"),
                href=routes.DASHBOARD,
                underline="none",
                high_contrast=True,
            ),
            rx.hstack(
                *_nav_links(active),
                spacing="1",
                overflow_x="auto",
                display=["none", "none", "flex"],
            ),
            rx.spacer(),
            _balance_badge(),
            _user_menu(),
            align="center",
            spacing="4",
            width="100%",
            max_width="1100px",
            margin_x="auto",
            padding_x="1em",
            height="56px",
        ),
        rx.hstack(
            *_nav_links(active),
            spacing="1",
            wrap="wrap",
            padding_x="0.5em",
            padding_bottom="0.5em",
            display=["flex", "flex", "none"],
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        class_name="no-print",
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def page_frame(active: str, title: str, *children: rx.Component, needs: Permission | None = None) -> rx.Component:
    """A signed-in page: header, then the title and content in a centred column. `needs`: the
    permission the page is for; a role without it sees why instead of the content."""
    content = rx.cond(allowed(needs), rx.fragment(*children), refusal(needs)) if needs else rx.fragment(*children)
    return rx.box(
        ready_marker(),
        header(active),
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                verify_notice(),
                rx.heading(title, size="6", class_name="no-print"),
                content,
                spacing="5",
                width="100%",
                max_width="1100px",
                margin_x="auto",
                padding="1.5em 1em 3em",
                align="stretch",
            ),
            rx.center(rx.spinner(size="3"), padding="4em"),
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
        class_name="page-background",
    )


def card(*children: rx.Component, **props: object) -> rx.Component:
    return rx.card(*children, size="3", width="100%", **props)


def section(
    heading: str | rx.Var | rx.Component, *children: rx.Component, test_id: str | None = None, **stack: object
) -> rx.Component:
    """A card of a page: its heading (text, or a row holding it), then its content, stacked
    (`stack`: the stack's props; spacing 3 unless given)."""
    title = heading if isinstance(heading, rx.Component) else rx.heading(heading, size="4")
    return card(rx.vstack(title, *children, **{"spacing": "3", "width": "100%", **stack}), data_testid=test_id)


def stat_card(
    label: str, value: rx.Var | str, detail: rx.Component | rx.Var | str = "", test_id: str = ""
) -> rx.Component:
    """A figure in a card: its label above, a line of detail below."""
    return card(
        rx.vstack(
            rx.text(label, size="2", color=rx.color("gray", 11)),
            rx.text(value, size="6", weight="bold", data_testid=test_id or None),
            rx.text(detail, size="1", color=rx.color("gray", 11)),
            spacing="1",
        ),
    )
