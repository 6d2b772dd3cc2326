"""The pages an emailed link opens (verify the address, choose a new password), and
"Forgot password?". Signed-out pages in the sign-in frame."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.auth_frame import auth_frame
from billing_app.components.forms import form_error, labelled_input, stacked_form
from billing_app.errors import BillingAppError
from billing_app.money import format_money
from billing_app.services import passwords, verification
from billing_app.services.accounts import MIN_PASSWORD_LENGTH
from billing_app.services.actors import Actor
from billing_app.state.session import SessionState, call_service


def _actor(state: rx.State) -> Actor:
    return Actor(ip=state.router.session.client_ip, user_agent=state.router.headers.user_agent)


def _token(state: rx.State) -> str:
    return str(state.router.url.query_parameters.get("token", ""))


class VerifyEmailState(rx.State):
    outcome: str = ""  # "" while checking, then "verified" or "refused"
    message: str = ""

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.outcome, self.message = "", ""
        yield
        try:
            done = await call_service(verification.verify, token=_token(self), actor=_actor(self))
        except BillingAppError as exc:
            self.outcome, self.message = "refused", exc.message
            return
        session = await self.get_state(SessionState)
        currency = session.currency if session.signed_in else "INR"
        self.outcome = "verified"
        self.message = (
            f"{format_money(done.credited_micros, currency)} of signup credit is now in your balance."
            if done.credited_micros
            else "Your email address is verified."
        )
        if session.signed_in:
            yield SessionState.refresh_balance


def verify_email_page() -> rx.Component:
    return auth_frame(
        "Verify your email",
        "One click, and your account is complete.",
        rx.cond(
            VerifyEmailState.outcome == "",
            rx.hstack(rx.spinner(), rx.text("Checking your link…", size="2"), align="center"),
            rx.callout(
                VerifyEmailState.message,
                icon=rx.cond(VerifyEmailState.outcome == "verified", "circle-check", "triangle-alert"),
                color_scheme=rx.cond(VerifyEmailState.outcome == "verified", "green", "red"),
                data_testid="verify-outcome",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.link("Go to Billing", href=routes.BILLING, size="2"),
            rx.text("·", size="2"),
            rx.link("Sign in", href=routes.LOGIN, size="2"),
            spacing="2",
        ),
    )


class ForgotPasswordState(rx.State):
    sent_to: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.busy, self.error = True, ""
        yield
        email = form.get("email", "").strip()
        try:
            await call_service(passwords.forgot, email=email, client_ip=self.router.session.client_ip)
        except BillingAppError as exc:
            self.error = exc.message
        else:
            self.sent_to = email
        self.busy = False


def forgot_password_page() -> rx.Component:
    return auth_frame(
        "Forgot your password?",
        "We email you a link to choose a new one.",
        rx.cond(
            ForgotPasswordState.sent_to != "",
            rx.callout(
                "If "
                + ForgotPasswordState.sent_to
                + " has an account, a link is on its way. It works once, for 30 minutes.",
                icon="mail",
                color_scheme="green",
                data_testid="forgot-sent",
                width="100%",
            ),
            stacked_form(
                labelled_input("Email", "email", type_="email", required=True, auto_complete="email"),
                form_error(ForgotPasswordState.error),
                rx.button("Email me a link", type="submit", size="3", width="100%", loading=ForgotPasswordState.busy),
                on_submit=ForgotPasswordState.submit,
            ),
        ),
        rx.text("Remembered it? ", rx.link("Sign in", href=routes.LOGIN), size="2"),
    )


class ResetPasswordState(rx.State):
    done: bool = False
    error: str = ""
    busy: bool = False

    @rx.event
    def load(self) -> None:
        self.done, self.error, self.busy = False, "", False

    @rx.event
    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.busy, self.error = True, ""
        yield
        try:
            await call_service(
                passwords.reset, token=_token(self), password=form.get("password", ""), actor=_actor(self)
            )
        except BillingAppError as exc:
            self.error = exc.message
        else:
            self.done = True
            session = await self.get_state(SessionState)
            session.token = ""  # every session ended, this browser's too
            session.signed_in = False
        self.busy = False


def reset_password_page() -> rx.Component:
    return auth_frame(
        "Choose a new password",
        "Every device signed in to your account is signed out.",
        rx.cond(
            ResetPasswordState.done,
            rx.vstack(
                rx.callout(
                    "Your password is changed. Sign in with the new one.",
                    icon="circle-check",
                    color_scheme="green",
                    data_testid="reset-done",
                    width="100%",
                ),
                rx.link(rx.button("Sign in", size="3", width="100%"), href=routes.LOGIN, width="100%"),
                width="100%",
            ),
            stacked_form(
                labelled_input(
                    f"New password (at least {MIN_PASSWORD_LENGTH} characters)",
                    "password",
                    type_="password",
                    required=True,
                    min_length=MIN_PASSWORD_LENGTH,
                    auto_complete="new-password",
                ),
                form_error(ResetPasswordState.error),
                rx.button(
                    "Set the new password", type="submit", size="3", width="100%", loading=ResetPasswordState.busy
                ),
                on_submit=ResetPasswordState.submit,
            ),
        ),
        rx.text(rx.link("Ask for a new link", href=routes.FORGOT_PASSWORD), size="2"),
    )
