"""The signed-in user, their org and the balance in the header. Imports no page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from billing_app import routes
from billing_app.errors import BillingAppError, Unauthenticated
from billing_app.money import currency_symbol as symbol_of
from billing_app.money import format_money
from billing_app.services import accounts, actors, ledger, navigation, roles, verification
from billing_app.services.accounts import Principal
from billing_app.services.actors import Actor
from billing_app.services.roles import Permission

T = TypeVar("T")


async def call_service(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Services block (database, argon2, Razorpay's SDK): keep them off the event loop."""
    return await asyncio.to_thread(fn, **kwargs)


class SessionState(rx.State):
    token: str = rx.LocalStorage("", name="billing_session", sync=True)
    user_name: str = ""
    email: str = ""
    org_name: str = ""
    currency: str = "INR"
    balance_micros: int = 0
    signed_in: bool = False
    role: str = ""  # in the current org: what the UI shows (components/role_gate.py)
    email_verified: bool = True  # False: the header says why the balance waits, and offers "resend"
    resend_note: str = ""
    is_staff: bool = False  # runs the service: the header's "Console" link, the console's pages
    staff_checked: bool = False  # a console page asked who this is (until then it shows nothing)

    @rx.var
    def balance_display(self) -> str:
        return format_money(self.balance_micros, self.currency)

    @rx.var
    def currency_symbol(self) -> str:
        """₹ or $, from the org's currency: for labels and amount inputs."""
        return symbol_of(self.currency)

    @rx.var
    def initials(self) -> str:
        return "".join(part[0] for part in self.user_name.split()[:2]).upper() or "?"

    async def principal(self) -> Principal:
        """The principal behind the stored token; raises Unauthenticated. Also names them,
        with this browser's IP and user agent, as who the handler's service calls act as (the
        audit log's "who", the role checks' "as whom": services/actors.py)."""
        principal = await call_service(accounts.authenticate, token=self.token)
        router = self.router
        actors.acting(principal.acting_from(ip=router.session.client_ip, user_agent=router.headers.user_agent))
        return principal

    def _show(self, principal: Principal) -> None:
        self.user_name = principal.name
        self.email = principal.email
        self.org_name = principal.org_name
        self.currency = principal.currency
        self.email_verified = principal.email_verified
        self.role = principal.role
        self.is_staff = principal.is_staff
        self.signed_in = True

    async def sign_in(self, signed_in: accounts.SignedIn) -> None:
        """Called by the login and signup states once a service has signed the user in."""
        self.token = signed_in.token
        self._show(signed_in.principal)
        self.balance_micros = await call_service(ledger.get_balance, org_id=(await self.principal()).org_id)

    @rx.event
    async def require_session(self):  # type: ignore[no-untyped-def]
        """on_load of every signed-in page: show the user, or send them to the login page."""
        try:
            principal = await self.principal()
        except Unauthenticated:
            self.token = ""
            self.signed_in = False
            return rx.redirect(routes.LOGIN)
        self._show(principal)
        self.balance_micros = await call_service(ledger.get_balance, org_id=principal.org_id)
        return None

    @rx.event
    async def check_staff(self) -> None:
        """on_load of every console page: never a redirect to the login page, so that a
        console path looks to anyone not on staff exactly like a path that does not exist."""
        try:
            principal = await self.principal()
        except Unauthenticated:
            self.is_staff, self.staff_checked = False, True
            return
        self._show(principal)
        if principal.is_staff:
            self.balance_micros = await call_service(ledger.get_balance, org_id=principal.org_id)
        self.staff_checked = True

    @rx.event
    async def refresh_balance(self) -> None:
        try:
            principal = await self.principal()
        except BillingAppError:
            return
        self.balance_micros = await call_service(ledger.get_balance, org_id=principal.org_id)

    @rx.event
    async def resend_verification(self) -> None:
        try:
            principal = await self.principal()
            sent = await call_service(verification.resend, user_id=principal.user_id, org_id=principal.org_id)
        except BillingAppError as exc:
            self.resend_note = exc.message
            return
        self.resend_note = f"A new link is on its way to {principal.email}." if sent else "Your email is verified."
        self.email_verified = self.email_verified or not sent

    @rx.event
    async def sign_out(self):  # type: ignore[no-untyped-def]
        if self.token:
            await call_service(accounts.logout, token=self.token)
        self.reset()
        self.token = ""
        return rx.redirect(routes.LOGIN)

    @rx.event
    async def redirect_if_signed_in(self):  # type: ignore[no-untyped-def]
        """on_load of the login and signup pages: a signed-in person goes on to Billing, or to
        the login page's `?next=` (a path on this site only), as signing in would take them."""
        if not self.token:
            return None
        try:
            await self.principal()
        except Unauthenticated:
            self.token = ""
            return None
        return rx.redirect(navigation.safe_local_path(self.router.url.query_parameters.get("next"), routes.BILLING))


async def current_principal(state: rx.State, needs: Permission | None = None) -> Principal | None:
    """The signed-in principal for any state's handler (acting for them: SessionState.principal),
    or None: the page's on_load has already sent the user to the login page, or their role
    does not grant `needs` (the page shows components/role_gate.refusal instead)."""
    session = await state.get_state(SessionState)
    try:
        principal = await session.principal()
    except Unauthenticated:
        return None
    return principal if needs is None or roles.allows(principal.role, needs) else None


async def current_staff(state: rx.State) -> Principal | None:
    """The signed-in principal for a console handler when they are on staff, acting as staff
    (`Actor(kind="staff")`: the console's services require it, services/staff.py); None for
    anyone else, whom the page shows as not found, so the handler calls nothing."""
    session = await state.get_state(SessionState)
    try:
        principal = await session.principal()
    except Unauthenticated:
        return None
    if not principal.is_staff:
        return None
    router = session.router
    actors.acting(
        Actor(
            user_id=principal.user_id,
            ip=router.session.client_ip,
            user_agent=router.headers.user_agent,
            kind="staff",
        )
    )
    return principal


class AuthFormState(rx.State):
    """Shared by the login and signup forms: run a signing-in service, show its error
    inline, or sign the session in and go to the Billing page (or where the form says)."""

    error: str = ""
    busy: bool = False

    async def _sign_in_with(  # type: ignore[no-untyped-def]
        self, service: Callable[..., accounts.SignedIn], *, then: str = routes.BILLING, **kwargs: Any
    ):
        """`then`: where the signed-in person goes (a path on this site, checked by the caller)."""
        self.busy = True
        self.error = ""
        yield
        try:
            signed_in = await call_service(
                service,
                client_ip=self.router.session.client_ip,
                user_agent=self.router.headers.user_agent,
                **kwargs,
            )
        except BillingAppError as exc:
            self.error = exc.message
            self.busy = False
            return
        session = await self.get_state(SessionState)
        await session.sign_in(signed_in)
        self.busy = False
        yield rx.redirect(then)
