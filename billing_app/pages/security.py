"""Settings → Security: change the password, see where you are signed in, sign out a session
or every other one; and, for the roles that can't open Members, leave the org."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.forms import form_error, labelled_input, stacked_form
from billing_app.components.layout import page_frame, section
from billing_app.components.leave_org import leave_button, leave_explained
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.components.role_gate import allowed
from billing_app.errors import BillingAppError
from billing_app.rows.sessions import SessionLine, session_line
from billing_app.services import members, passwords, sessions
from billing_app.services.accounts import MIN_PASSWORD_LENGTH, Principal
from billing_app.services.actors import Actor
from billing_app.services.roles import Permission
from billing_app.state.session import SessionState, call_service, current_principal


class SecurityState(rx.State):
    rows: list[SessionLine] = []
    password_error: str = ""
    notice: str = ""
    busy: bool = False

    def _actor(self, principal: Principal) -> Actor:
        return principal.acting_from(ip=self.router.session.client_ip, user_agent=self.router.headers.user_agent)

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self)
        if principal is None:
            return
        found = await call_service(
            sessions.list_sessions, user_id=principal.user_id, current_session_id=principal.session_id
        )
        self.rows = [session_line(row) for row in found]

    @rx.event
    async def leave(self):  # type: ignore[no-untyped-def]
        """Leave the current org (members.leave). As for a removed member, this session ends and
        the person goes to sign in, from which they land in another org of theirs, if any."""
        principal = await current_principal(self)
        if principal is None:
            return None
        try:
            await call_service(members.leave, org_id=principal.org_id, user_id=principal.user_id)
        except BillingAppError as exc:
            self.notice = exc.message
            return None
        session = await self.get_state(SessionState)
        session.reset()
        session.token = ""
        return rx.redirect(routes.LOGIN)

    @rx.event
    async def change_password(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None:
            return
        self.busy, self.password_error, self.notice = True, "", ""
        yield
        try:
            ended = await call_service(
                passwords.change,
                user_id=principal.user_id,
                session_id=principal.session_id,
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
                actor=self._actor(principal),
            )
        except BillingAppError as exc:
            self.password_error = exc.message
        else:
            others = f" {ended} other session(s) signed out." if ended else ""
            self.notice = "Your password is changed." + others
            yield SecurityState.load
        self.busy = False

    @rx.event
    async def end_session(self, session_id: int):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None:
            return
        try:
            await call_service(
                sessions.end_session,
                user_id=principal.user_id,
                org_id=principal.org_id,
                session_id=session_id,
                actor=self._actor(principal),
            )
        except BillingAppError as exc:
            self.notice = exc.message
        yield SecurityState.load

    @rx.event
    async def end_others(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None:
            return
        ended = await call_service(
            sessions.end_other_sessions,
            user_id=principal.user_id,
            org_id=principal.org_id,
            keep_session_id=principal.session_id,
            actor=self._actor(principal),
        )
        self.notice = f"Signed out of {ended} other session(s)."
        yield SecurityState.load


def _password_card() -> rx.Component:
    return section(
        "Change password",
        stacked_form(
            labelled_input(
                "Current password",
                "current_password",
                type_="password",
                required=True,
                auto_complete="current-password",
            ),
            labelled_input(
                f"New password (at least {MIN_PASSWORD_LENGTH} characters)",
                "new_password",
                type_="password",
                required=True,
                min_length=MIN_PASSWORD_LENGTH,
                auto_complete="new-password",
            ),
            form_error(SecurityState.password_error),
            rx.button("Change password", type="submit", loading=SecurityState.busy, width="fit-content"),
            on_submit=SecurityState.change_password,
            reset_on_submit=True,
            max_width="420px",
        ),
        rx.text("Every other session is signed out; this one stays.", size="1", color=rx.color("gray", 11)),
    )


def _end_button(row: RowVar) -> rx.Component:
    return rx.cond(
        row.current,
        rx.badge("This device", color_scheme="green"),
        rx.button(
            "Sign out",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=SecurityState.end_session(row.id),  # type: ignore[operator]
            data_testid="end-session",
        ),
    )


def _session_item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(rx.text(row.device, weight="bold", size="2"), rx.spacer(), _end_button(row), align="center"),
        rx.text("Signed in ", row.signed_in, size="1", color=rx.color("gray", 11)),
        rx.text("Last used ", row.last_used, " · IP ", row.ip, size="1", color=rx.color("gray", 11)),
        test_id="session-row",
    )


def _sessions_card() -> rx.Component:
    return section(
        rx.hstack(
            rx.heading("Where you're signed in", size="4"),
            rx.spacer(),
            rx.button(
                "Sign out everywhere else",
                size="2",
                variant="soft",
                on_click=SecurityState.end_others,
                disabled=SecurityState.rows.length() < 2,  # type: ignore[attr-defined]
                data_testid="end-other-sessions",
            ),
            align="center",
            wrap="wrap",
            width="100%",
        ),
        responsive_list(
            SecurityState.rows,
            columns=[
                Column("Device", lambda row: rx.text(row.device, weight="medium")),
                Column("IP", lambda row: row.ip),
                Column("Signed in (IST)", lambda row: row.signed_in),
                Column("Last used (IST)", lambda row: row.last_used),
                Column("", _end_button, numeric=True),
            ],
            item=_session_item,
            table_test_id="sessions-table",
            row_test_id="session-row",
        ),
    )


def _leave_card() -> rx.Component:
    """For developers and billing members, who can't open Members (where owners and admins leave)."""
    return rx.cond(
        allowed(Permission.MANAGE_MEMBERS),
        rx.fragment(),
        section(
            "Leave this organisation",
            rx.vstack(leave_explained(), leave_button(SecurityState.leave), spacing="3", width="100%"),
            test_id="leave-card",
        ),
    )


def security_page() -> rx.Component:
    return page_frame(
        routes.SETTINGS,
        "Security",
        rx.cond(
            SecurityState.notice != "",
            rx.callout(SecurityState.notice, icon="info", data_testid="security-notice", width="100%"),
        ),
        _password_card(),
        _sessions_card(),
        _leave_card(),
    )
