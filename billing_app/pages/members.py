"""Members (owners and admins): who is in the org and with which role, changing a role,
removing someone; the invitations still pending, withdrawing one; inviting an address."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import field_label, form_error, hint, labelled_input, stacked_form
from billing_app.components.layout import page_frame, section
from billing_app.components.leave_org import leave_button, leave_explained
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.services import invitations
from billing_app.services.roles import Permission, Role
from billing_app.state.members import MembersState
from billing_app.state.session import SessionState


def _muted(*children: Any) -> rx.Component:
    return rx.text(*children, size="1", color=rx.color("gray", 11), overflow_wrap="anywhere")


def _who(row: RowVar) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row.name, weight="medium", size="2"),
            rx.cond(row.you, rx.badge("You", color_scheme="green", data_testid="member-you")),
            spacing="2",
            align="center",
        ),
        _muted(row.email),
        spacing="0",
    )


def _role_select(row: RowVar) -> rx.Component:
    """The member's role; changing it saves at once. An owner row an admin looks at shows the
    role without choices (only owners change owners)."""
    return rx.select.root(
        rx.select.trigger(aria_label="Role", data_testid="member-role", min_width="8.5em"),
        rx.select.content(
            rx.cond(row.locked, rx.select.item(Role.OWNER.value, value=Role.OWNER.value)),
            rx.foreach(MembersState.role_choices, lambda role: rx.select.item(role, value=role)),
        ),
        value=row.role,
        disabled=row.locked,
        on_change=lambda role: MembersState.change_role(row.id, role),  # type: ignore[operator]
        size="1",
    )


def _remove_button(row: RowVar) -> rx.Component:
    return rx.cond(
        row.removable,
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(
                rx.button("Remove", color_scheme="tomato", variant="soft", size="1", data_testid="remove-member"),
            ),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Remove ", row.name, "?"),
                rx.alert_dialog.description(
                    row.email,
                    " loses access to this organisation at once and is signed out of it. "
                    "You can invite them again later.",
                ),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(
                        rx.button(
                            "Remove member",
                            color_scheme="tomato",
                            on_click=MembersState.remove(row.id),  # type: ignore[operator]
                            data_testid="confirm-remove",
                        )
                    ),
                    justify="end",
                    spacing="3",
                    margin_top="1em",
                ),
            ),
        ),
        rx.fragment(),
    )


def _member_item(row: RowVar) -> rx.Component:
    return stacked_item(  # the address gets the whole width: a phone has little
        _who(row),
        rx.hstack(_role_select(row), rx.spacer(), _remove_button(row), align="center", width="100%", margin_y="0.5em"),
        _muted("Joined ", row.joined),
        test_id="member-row",
    )


def _members_card() -> rx.Component:
    return section(
        rx.heading(SessionState.org_name, size="4"),  # whose members: a person may be in several orgs
        form_error(MembersState.error),
        responsive_list(
            MembersState.members,
            columns=[
                Column("Member", _who),
                Column("Role", _role_select),
                Column("Joined (IST)", lambda row: rx.text(row.joined, size="2", white_space="nowrap")),
                Column("", _remove_button, numeric=True),
            ],
            item=_member_item,
            table_test_id="members-table",
            row_test_id="member-row",
        ),
        hint("A role change applies from the member's next page or request."),
        test_id="members-card",
    )


def _revoke_button(row: RowVar) -> rx.Component:
    return rx.button(
        "Revoke",
        color_scheme="tomato",
        variant="soft",
        size="1",
        on_click=MembersState.revoke(row.id),  # type: ignore[operator]
        data_testid="revoke-invitation",
    )


def _invitation_item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(
            rx.text(row.email, weight="medium", size="2", overflow_wrap="anywhere"),
            rx.spacer(),
            _revoke_button(row),
            align="start",
            width="100%",
        ),
        _muted(rx.badge(row.role, variant="soft", size="1"), " invited by ", row.invited_by),
        _muted("Expires ", row.expires),
        test_id="invitation-row",
    )


def _invitations_card() -> rx.Component:
    return section(
        "Pending invitations",
        rx.cond(
            MembersState.invitations.length() > 0,  # type: ignore[attr-defined]
            responsive_list(
                MembersState.invitations,
                columns=[
                    Column("Email", lambda row: rx.text(row.email, size="2", overflow_wrap="anywhere")),
                    Column("Role", lambda row: rx.badge(row.role, variant="soft")),
                    Column("Invited by", lambda row: rx.text(row.invited_by, size="2")),
                    Column("Expires (IST)", lambda row: rx.text(row.expires, size="2", white_space="nowrap")),
                    Column("", _revoke_button, numeric=True),
                ],
                item=_invitation_item,
                table_test_id="invitations-table",
                row_test_id="invitation-row",
            ),
            rx.box(  # the card's stack is start-aligned: the box spans it, so the message is centred
                empty_state(
                    "mail",
                    "No invitations waiting",
                    "An invitation stays here until it is accepted, withdrawn or expires.",
                    testid="invitations-empty",
                ),
                width="100%",
            ),
        ),
        test_id="invitations-card",
    )


def _invite_form() -> rx.Component:
    return section(
        "Invite someone",
        stacked_form(
            rx.flex(
                rx.box(
                    labelled_input("Email", "email", type_="email", required=True, placeholder="name@company.com"),
                    flex="1",
                    min_width="14em",
                ),
                rx.vstack(
                    field_label("Role", "invite-role"),
                    rx.select(
                        MembersState.role_choices,
                        name="role",
                        default_value=Role.DEVELOPER.value,
                        id="invite-role",
                        size="3",
                        data_testid="invite-role",
                    ),
                    spacing="1",
                ),
                spacing="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            hint(
                f"They get an email with a link that works once, for {invitations.LIFETIME.days} days, "
                "for that address only. "
                "Developers manage API keys and see usage; billing manages top-ups, receipts and alerts; "
                "admins do everything but change owners."
            ),
            form_error(MembersState.invite_error),
            rx.button(
                rx.icon("send", size=16),
                "Send invitation",
                type="submit",
                loading=MembersState.busy,
                width="fit-content",
                data_testid="send-invitation",
            ),
            on_submit=MembersState.invite,
        ),
        test_id="invite-card",
    )


def _leave_card() -> rx.Component:
    """Leaving: for anyone but the org's only owner, who is told what to do first."""
    return section(
        "Leave this organisation",
        rx.cond(
            MembersState.only_owner,
            rx.text(
                "You are the only owner of ",
                rx.text.strong(SessionState.org_name),
                ", so you can't leave it. Make another member an owner first; then you can leave.",
                size="2",
                color=rx.color("gray", 11),
                data_testid="leave-refused",
            ),
            rx.vstack(leave_explained(), leave_button(MembersState.leave), spacing="3", width="100%"),
        ),
        test_id="leave-card",
    )


def members_page() -> rx.Component:
    return page_frame(
        routes.SETTINGS,
        "Members",
        rx.cond(
            MembersState.notice != "",
            rx.callout(MembersState.notice, icon="circle-check", color_scheme="green", data_testid="members-notice"),
        ),
        rx.cond(
            MembersState.loading,
            rx.skeleton(height="16em", width="100%"),
            rx.fragment(_members_card(), _invitations_card(), _invite_form(), _leave_card()),
        ),
        needs=Permission.MANAGE_MEMBERS,
    )
