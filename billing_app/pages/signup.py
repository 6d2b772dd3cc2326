"""Create an account: user and organisation; the signup credit follows the verified email."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.auth_frame import auth_frame
from billing_app.components.forms import form_error, labelled_input, stacked_form
from billing_app.config import get_settings
from billing_app.money import format_units
from billing_app.services import accounts
from billing_app.state.session import AuthFormState


class SignupState(AuthFormState):
    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        fields = {name: form.get(name, "") for name in ("email", "password", "name", "org_name")}
        async for update in self._sign_in_with(accounts.signup, **fields):
            yield update
        if not self.error:
            yield rx.toast.success("Welcome! Open the link we emailed you to receive your signup credit.")


def _signup_pitch() -> str:
    settings = get_settings()
    if not settings.signup_credit_micros:
        return "Prepaid credits for every API request."
    credit = format_units(settings.signup_credit_micros, settings.billing_currency)
    return f"Start with {credit} of free credit once you verify your email."


def signup_page() -> rx.Component:
    return auth_frame(
        "Create your account",
        _signup_pitch(),
        stacked_form(
            labelled_input("Your name", "name", required=True, auto_complete="name"),
            labelled_input("Organisation name", "org_name", required=True, auto_complete="organization"),
            labelled_input("Email", "email", type_="email", required=True, auto_complete="email"),
            labelled_input(
                f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters)",
                "password",
                type_="password",
                required=True,
                min_length=accounts.MIN_PASSWORD_LENGTH,
                auto_complete="new-password",
            ),
            form_error(SignupState.error),
            rx.button("Create account", type="submit", size="3", width="100%", loading=SignupState.busy),
            on_submit=SignupState.submit,
        ),
        rx.text("Already have an account? ", rx.link("Sign in", href=routes.LOGIN), size="2"),
    )
