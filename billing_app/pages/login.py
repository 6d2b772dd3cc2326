"""Sign in."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.auth_frame import auth_frame
from billing_app.components.forms import form_error, labelled_input, stacked_form
from billing_app.services import accounts, invitations
from billing_app.services.navigation import safe_local_path
from billing_app.state.session import AuthFormState, call_service

SUBTITLE = "Your credits, top-ups and usage."


class LoginState(AuthFormState):
    # Reached from an invitation link (`?next=/invitations/accept?token=…`): what the page says
    # the sign-in is for. The org is named only for a link still usable, which the invitation
    # page itself shows its holder; otherwise the sentence is generic.
    invitation: bool = False
    invited_to: str = ""

    @rx.var
    def subtitle(self) -> str:
        if self.invited_to:
            return f"Sign in to accept your invitation to {self.invited_to}."
        return "Sign in to accept your invitation." if self.invitation else SUBTITLE

    @rx.event
    async def read_next(self) -> None:
        """on_load: whether `next` is an invitation link, and for which org."""
        token = routes.invitation_token(str(self.router.url.query_parameters.get("next", "")))
        self.invitation, self.invited_to = token is not None, ""
        if token is None:
            return
        found = await call_service(invitations.describe, token=token)
        if found is not None and found.valid:
            self.invited_to = found.org_name

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        # `?next=`: back to the page that sent the person here (an invitation link), on this
        # site only (an open redirect otherwise).
        then = safe_local_path(str(self.router.url.query_parameters.get("next", "")), routes.BILLING)
        async for update in self._sign_in_with(
            accounts.login, then=then, email=form.get("email", ""), password=form.get("password", "")
        ):
            yield update


def login_page() -> rx.Component:
    return auth_frame(
        "Sign in",
        LoginState.subtitle,
        stacked_form(
            labelled_input("Email", "email", type_="email", required=True, auto_complete="email"),
            labelled_input("Password", "password", type_="password", required=True, auto_complete="current-password"),
            form_error(LoginState.error),
            rx.button("Sign in", type="submit", size="3", width="100%", loading=LoginState.busy),
            on_submit=LoginState.submit,
        ),
        rx.hstack(
            rx.text("New here? ", rx.link("Create an account", href=routes.SIGNUP), size="2"),
            rx.link("Forgot password?", href=routes.FORGOT_PASSWORD, size="2"),
            justify="between",
            width="100%",
            wrap="wrap",
        ),
    )
