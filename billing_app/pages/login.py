"""Sign in."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.auth_frame import auth_frame
from billing_app.components.forms import form_error, labelled_input, stacked_form
from billing_app.services import accounts
from billing_app.services.navigation import safe_local_path
from billing_app.state.session import AuthFormState


class LoginState(AuthFormState):
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
        "Your credits, top-ups and usage.",
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
