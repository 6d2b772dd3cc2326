"""The page an invitation link opens (/invitations/accept?token=…).

What it offers depends on who opens it: the invited person signed in joins with one button
(their session then acts for the org joined); someone signed in with another address is told
so and may sign out; someone not signed in sees the org and the invited address, and creates
an account with it (no org of their own) or signs in and comes back. A link that can't be used
any more says so."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.auth_frame import auth_frame
from billing_app.components.forms import form_error, hint, labelled_input, stacked_form
from billing_app.errors import BillingAppError, Unauthenticated
from billing_app.services import accounts, invitations, orgs
from billing_app.services.email_addresses import normalise
from billing_app.state.session import AuthFormState, SessionState, call_service


def _token(state: rx.State) -> str:
    return str(state.router.url.query_parameters.get("token", ""))


class InvitationState(rx.State):
    # "" while checking, then: "invalid" (unknown, expired, used, withdrawn), "signed_out",
    # "other_address" (signed in as someone else), "ready" (signed in as the invited address)
    mode: str = ""
    org_name: str = ""
    email: str = ""  # the invited address
    role: str = ""
    signed_in_as: str = ""
    sign_in_href: str = routes.LOGIN  # Sign in, then back to this link
    signing_up: bool = False  # the "Create an account" form is open
    error: str = ""
    busy: bool = False

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.mode, self.error, self.signing_up, self.busy = "", "", False, False
        yield
        found = await call_service(invitations.describe, token=_token(self))
        if found is None or not found.valid:
            self.mode = "invalid"
            return
        self.org_name, self.email, self.role = found.org_name, found.email, found.role
        self.sign_in_href = routes.login_url(routes.emailed_link("", routes.INVITATION, _token(self)))
        session = await self.get_state(SessionState)
        try:
            principal = await session.principal() if session.token else None
        except Unauthenticated:
            principal = None
        if principal is None:
            self.mode, self.signed_in_as = "signed_out", ""
            return
        self.signed_in_as = principal.email
        self.mode = "ready" if normalise(principal.email) == found.email else "other_address"

    @rx.event
    async def accept(self):  # type: ignore[no-untyped-def]
        """Join, point this session at the org joined, and show its dashboard."""
        session = await self.get_state(SessionState)
        self.busy, self.error = True, ""
        yield
        try:
            principal = await session.principal()
            accepted = await call_service(invitations.accept, token=_token(self), user_id=principal.user_id)
            await call_service(
                orgs.switch,
                session_id=principal.session_id,
                user_id=principal.user_id,
                org_id=accepted.org_id,
            )
        except BillingAppError as exc:
            self.error, self.busy = exc.message, False
            return
        self.busy = False
        yield rx.redirect(routes.DASHBOARD)  # its on_load reads the session again: the new org

    @rx.event
    async def sign_out_and_continue(self):  # type: ignore[no-untyped-def]
        session = await self.get_state(SessionState)
        if session.token:
            await call_service(accounts.logout, token=session.token)
        session.token, session.signed_in = "", False
        self.mode, self.signed_in_as = "signed_out", ""

    @rx.event
    def show_signup(self) -> None:
        self.signing_up = True


class InvitationSignupState(AuthFormState):
    """Create an account with the invited address: it joins the org instead of creating one."""

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        invitation = await self.get_state(InvitationState)
        async for update in self._sign_in_with(
            accounts.signup,
            then=routes.DASHBOARD,
            email=invitation.email,  # the invited address, whatever the read-only field holds
            password=form.get("password", ""),
            name=form.get("name", ""),
            invitation_token=_token(self),
        ):
            yield update


def _summary() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("users", size=16)),
        rx.callout.text(
            "You're invited to join ",
            rx.text.strong(InvitationState.org_name),
            " as ",
            rx.text.strong(InvitationState.role),
            ". The invitation is for ",
            rx.text.strong(InvitationState.email),
            ".",
            overflow_wrap="anywhere",  # a long address on a phone
        ),
        color_scheme="indigo",
        width="100%",
        data_testid="invitation-summary",
    )


def _signup_form() -> rx.Component:
    return stacked_form(
        labelled_input("Your name", "name", required=True, auto_complete="name"),
        labelled_input("Email", "email", type_="email", value=InvitationState.email, read_only=True),
        labelled_input(
            f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters)",
            "password",
            type_="password",
            required=True,
            min_length=accounts.MIN_PASSWORD_LENGTH,
            auto_complete="new-password",
        ),
        form_error(InvitationSignupState.error),
        rx.button("Create account and join", type="submit", size="3", width="100%", loading=InvitationSignupState.busy),
        on_submit=InvitationSignupState.submit,
    )


def _signed_out() -> rx.Component:
    return rx.vstack(
        _summary(),
        rx.cond(
            InvitationState.signing_up,
            _signup_form(),
            rx.vstack(
                rx.button(
                    "Create an account",
                    size="3",
                    width="100%",
                    on_click=InvitationState.show_signup,
                    data_testid="invitation-create-account",
                ),
                rx.link(
                    rx.button("I already have an account", size="3", width="100%", variant="soft"),
                    href=InvitationState.sign_in_href,
                    width="100%",
                    data_testid="invitation-sign-in",
                ),
                width="100%",
                spacing="3",
            ),
        ),
        width="100%",
        spacing="4",
    )


def _ready() -> rx.Component:
    return rx.vstack(
        _summary(),
        form_error(InvitationState.error),
        rx.button(
            "Join ",
            InvitationState.org_name,
            " as ",
            InvitationState.role,
            size="3",
            width="100%",
            loading=InvitationState.busy,
            on_click=InvitationState.accept,
            data_testid="accept-invitation",
        ),
        hint("You stay a member of your other organisations; switch between them in the account menu."),
        width="100%",
        spacing="4",
    )


def _other_address() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(
                "This invitation is for ",
                rx.text.strong(InvitationState.email),
                ". You're signed in as ",
                rx.text.strong(InvitationState.signed_in_as),
                ". Sign in with the invited address to accept it.",
                overflow_wrap="anywhere",
            ),
            icon="triangle-alert",
            color_scheme="amber",
            width="100%",
            data_testid="invitation-other-address",
        ),
        rx.button(
            "Sign out and continue",
            size="3",
            width="100%",
            on_click=InvitationState.sign_out_and_continue,
            data_testid="invitation-sign-out",
        ),
        width="100%",
        spacing="4",
    )


def _invalid() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "This invitation link has expired, was already used or was withdrawn. "
            "Ask the person who invited you to send a new one.",
            icon="triangle-alert",
            color_scheme="red",
            width="100%",
            data_testid="invitation-invalid",
        ),
        rx.link(rx.button("Sign in", size="3", width="100%", variant="soft"), href=routes.LOGIN, width="100%"),
        width="100%",
        spacing="4",
    )


def invitation_page() -> rx.Component:
    return auth_frame(
        "Join an organisation",
        "An invitation to share its credits, keys and billing on billing_app.",
        rx.match(
            InvitationState.mode,
            ("invalid", _invalid()),
            ("signed_out", _signed_out()),
            ("other_address", _other_address()),
            ("ready", _ready()),
            rx.hstack(rx.spinner(), rx.text("Checking your invitation…", size="2"), align="center"),
        ),
    )
