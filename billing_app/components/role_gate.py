"""What the signed-in person's role lets them see. The UI hides what a role can't do; the
check that counts is the service's (services/roles.py), which refuses it anyway."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.services.roles import GRANTS, Permission, refusal_message
from billing_app.state.session import SessionState


def allowed(permission: Permission) -> rx.Var:
    """True in the browser when the current org's role grants `permission`."""
    granting = [role.value for role, grants in GRANTS.items() if permission in grants]
    return rx.Var.create(granting).contains(SessionState.role)


def only_for(permission: Permission | None, *children: rx.Component) -> rx.Component:
    """`children` when the role grants `permission` (always, for None); nothing otherwise."""
    if permission is None:
        return rx.fragment(*children)
    return rx.cond(allowed(permission), rx.fragment(*children), rx.fragment())


def refusal(permission: Permission) -> rx.Component:
    """What a page says to a role that may not use it, instead of its content."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("lock", size=16)),
        rx.callout.text(refusal_message(SessionState.role, permission)),
        rx.link("Back to the dashboard", href=routes.DASHBOARD, size="2"),
        color_scheme="amber",
        width="100%",
        data_testid="role-refusal",
    )
