"""Settings → Auto top-up: the mandate (authorised in Razorpay Checkout, then confirmed by the
bank), the rule, the dry run and the pending debit. Every handler calls the same services as
`/me/billing/auto-topup` (api/autotopup.py)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import reflex as rx

from billing_app.config import get_settings
from billing_app.errors import BillingAppError, PaymentGatewayError, Unauthenticated
from billing_app.money import AmountError, parse_micros, parse_whole_units
from billing_app.rows.autotopup import (
    DryRunTopup,
    DryRunView,
    MandateView,
    PendingDebit,
    RuleForm,
    dry_run_view,
    mandate_view,
    pending_debit,
    rule_form,
)
from billing_app.services import accounts
from billing_app.services.autotopup import debits
from billing_app.services.autotopup import mandate as mandates
from billing_app.services.autotopup import settings as autotopup
from billing_app.services.roles import Permission
from billing_app.state.session import SessionState, call_service, current_principal
from billing_app.state.topup import open_checkout_script

# After checkout, how often and how long the page asks whether the bank has confirmed.
POLL_SECONDS = 2.0
POLL_TIMES = 30
ASK_EVERY_POLLS = 5  # of those, every so many also asks Razorpay itself (mandate.check)
# The form's fields, as the services name them (make_rule's `field`) → the form's.
_FIELDS = {"amount": "amount", "floor": "floor", "floor_micros": "floor", "monthly_cap": "monthly_cap"}
MAXIMUMS = ("1000", "5000", "15000")  # whole rupees a mandate may allow per debit


class AutoTopupState(rx.State):
    loading: bool = True
    load_error: str = ""
    balance_micros: int = 0
    currency: str = "INR"
    mandate: MandateView = MandateView()
    rule: RuleForm = RuleForm()
    sentence: str = ""
    debit: PendingDebit = PendingDebit()
    # the form
    amount: str = ""
    floor: str = ""
    monthly_cap: str = ""
    errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False
    # authorising a mandate
    method: str = "upi"
    maximum: str = "15000"
    authorising: bool = False
    waiting: bool = False  # checkout said paid: the bank's confirmation is awaited
    mandate_error: str = ""
    notice: str = ""
    # the dry run
    dry: DryRunView = DryRunView()
    dry_topups: list[DryRunTopup] = []
    dry_busy: bool = False
    dry_error: str = ""

    def _show(self, found: autotopup.AutoTopupSettings, *, keep_form: bool = False) -> None:
        self.balance_micros, self.currency = found.balance_micros, found.currency
        self.mandate = mandate_view(found.mandate)
        self.rule = rule_form(found.rule)
        self.sentence = found.sentence or ""
        self.debit = pending_debit(found.pending_debit, found.currency)
        if not keep_form:
            self.amount, self.floor, self.monthly_cap = self.rule.amount, self.rule.floor, self.rule.monthly_cap
        if self.mandate.status != "pending":
            self.waiting = False
        elif self.mandate.authorised:
            self.waiting = True
        self.loading = False
        self.load_error = ""

    async def _found(self) -> autotopup.AutoTopupSettings | None:
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return None
        return await call_service(autotopup.get_settings, org_id=principal.org_id)

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.errors, self.form_error, self.mandate_error, self.notice = {}, "", "", ""
        self.dry, self.dry_topups, self.dry_error = DryRunView(), [], ""
        try:
            found = await self._found()
        except BillingAppError as exc:
            self.loading, self.load_error = False, exc.message
            return
        if found is None:
            return
        self._show(found)
        yield SessionState.refresh_balance
        if self.waiting:
            yield AutoTopupState.wait_for_bank
        elif self.mandate.status == "pending":
            # Authorised, perhaps, with its webhooks lost: ask Razorpay before the page's offer
            # to authorise again is taken (that would replace a mandate the bank has).
            yield AutoTopupState.refresh

    # --- the mandate ---------------------------------------------------------------------

    @rx.event
    def set_method(self, value: str | list[str]) -> None:
        self.method = value if value in ("upi", "card") else "upi"  # type: ignore[assignment]

    @rx.event
    def set_maximum(self, value: str) -> None:
        self.maximum = value if value in MAXIMUMS else MAXIMUMS[-1]

    @rx.event
    async def authorise(self):  # type: ignore[no-untyped-def]
        if self.authorising:  # a double click must not start two authorisations
            return
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        self.authorising, self.mandate_error, self.notice = True, "", ""
        yield
        try:
            started = await call_service(
                mandates.start, principal=principal, method=self.method, max_amount=int(self.maximum)
            )
        except BillingAppError as exc:
            self.authorising, self.mandate_error = False, exc.message
            return
        self.mandate = mandate_view(started.mandate)  # pending: checkout says what happens next
        yield rx.call_script(
            open_checkout_script(started.checkout, get_settings().checkout_js_url),
            callback=AutoTopupState.checkout_finished,
        )

    @rx.event
    def checkout_finished(self, result: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Checkout's outcome. Nothing here is trusted: the mandate is confirmed only by the
        token's status read back from Razorpay (after its webhook, or asked by the page's wait,
        "Check again" or the job); the page waits for it."""
        self.authorising = False
        outcome = (result or {}).get("outcome")
        if outcome == "paid":
            self.waiting = True
            return AutoTopupState.wait_for_bank
        if outcome == "dismissed":
            self.notice = "You closed Razorpay Checkout before authorising. Nothing was set up; you can start again."
        else:
            error = (result or {}).get("error") or "The authorisation did not go through."
            self.mandate_error = f"{error} You can try again."
        return None

    @rx.event(background=True)
    async def wait_for_bank(self):  # type: ignore[no-untyped-def]
        """Ask a few times whether the bank has confirmed (or refused) the mandate; the page
        says so meanwhile, and on every later visit until it has."""
        async with self:
            token = (await self.get_state(SessionState)).token
        for turn in range(1, POLL_TIMES + 1):
            await asyncio.sleep(POLL_SECONDS)
            try:
                principal = await call_service(accounts.authenticate, token=token)
                if turn % ASK_EVERY_POLLS == 0:  # the webhooks may be lost: ask Razorpay too
                    with contextlib.suppress(PaymentGatewayError):  # the next turn asks again
                        await call_service(mandates.check, principal=principal)
                found = await call_service(autotopup.get_settings, org_id=principal.org_id)
            except (Unauthenticated, BillingAppError):
                return
            if found.mandate is not None and found.mandate.status != "pending":
                async with self:
                    self._show(found, keep_form=True)
                    if self.mandate.status == "confirmed":
                        self.notice = "Your bank confirmed the mandate. Set the rule below and turn auto top-up on."
                return

    @rx.event
    async def refresh(self):  # type: ignore[no-untyped-def]
        """ "Check again": ask Razorpay about the pending mandate (its webhooks may be lost),
        then show what we know."""
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        self.mandate_error = ""
        try:
            await call_service(mandates.check, principal=principal)
        except BillingAppError as exc:
            self.mandate_error = f"{exc.message} The page will show the bank's answer when it arrives."
        try:
            found = await self._found()
        except BillingAppError as exc:
            self.load_error = exc.message
            return
        if found is not None:
            was_waiting = self.mandate.status == "pending"
            self._show(found, keep_form=True)
            if was_waiting and self.mandate.status == "confirmed":
                self.notice = "Your bank confirmed the mandate. Set the rule below and turn auto top-up on."

    @rx.event
    async def cancel_mandate(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        try:
            await call_service(mandates.cancel, principal=principal)
        except BillingAppError as exc:
            self.mandate_error = exc.message
            return
        self.notice = "The mandate is cancelled at Razorpay. Auto top-up is off; nothing more will be charged."
        found = await self._found()
        if found is not None:
            self._show(found, keep_form=True)

    # --- the rule ------------------------------------------------------------------------

    @rx.event
    def set_amount(self, value: str) -> None:
        self.amount = value
        self.errors = {k: v for k, v in self.errors.items() if k != "amount"}

    @rx.event
    def set_floor(self, value: str) -> None:
        self.floor = value
        self.errors = {k: v for k, v in self.errors.items() if k != "floor"}

    @rx.event
    def set_monthly_cap(self, value: str) -> None:
        self.monthly_cap = value
        self.errors = {k: v for k, v in self.errors.items() if k != "monthly_cap"}

    def _parsed(self) -> dict[str, int] | None:
        """The form's numbers, or None with each field's error shown."""
        errors: dict[str, str] = {}
        values: dict[str, int] = {}
        for name, text, parse, help_text in (
            ("amount", self.amount, parse_whole_units, "Enter a whole amount, e.g. 500."),
            ("floor", self.floor, parse_micros, "Enter an amount, e.g. 200 or 150.50."),
            ("monthly_cap", self.monthly_cap, parse_whole_units, "Enter a whole amount, e.g. 2000."),
        ):
            try:
                values[name] = parse(text.strip())  # type: ignore[operator]
            except AmountError:
                errors[name] = help_text
        self.errors = errors
        return None if errors else values

    def _show_error(self, exc: BillingAppError) -> None:
        field = _FIELDS.get(str(exc.details.get("field", "")))
        if field:
            self.errors = {**self.errors, field: exc.message}
        else:
            self.form_error = exc.message

    async def _save(self, enabled: bool):  # type: ignore[no-untyped-def]
        if self.saving:
            return
        self.form_error = ""
        principal = await current_principal(self, Permission.PAY)
        values = self._parsed()
        if principal is None or values is None:
            return
        self.saving = True
        yield
        try:
            found = await call_service(
                autotopup.put_rule,
                org_id=principal.org_id,
                amount=values["amount"],
                floor_micros=values["floor"],
                monthly_cap=values["monthly_cap"],
                enabled=enabled,
            )
        except BillingAppError as exc:
            self.saving = False
            self._show_error(exc)
            return
        was_on = self.rule.enabled
        self._show(found)
        self.saving = False
        if found.rule is not None and found.rule.enabled and not was_on:
            yield rx.toast.success("Auto top-up is on.")
        elif was_on and not enabled:
            yield rx.toast.success("Auto top-up is off. It stays off until you turn it on again.")
        else:
            yield rx.toast.success("Rule saved.")

    @rx.event
    async def save(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """Save the rule as it stands: on stays on, off stays off."""
        async for update in self._save(self.rule.enabled):
            yield update

    @rx.event
    async def switch(self, on: bool):  # type: ignore[no-untyped-def]
        """The switch: turning auto top-up on (or off) is the person's act, with the form's rule."""
        async for update in self._save(on):
            yield update

    # --- the dry run and the pending debit -----------------------------------------------

    @rx.event
    async def run_dry_run(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.PAY)
        values = self._parsed()
        if principal is None or values is None:
            return
        self.dry_busy, self.dry_error = True, ""
        yield
        try:
            result = await call_service(
                autotopup.preview,
                org_id=principal.org_id,
                amount=values["amount"],
                floor_micros=values["floor"],
                monthly_cap=values["monthly_cap"],
            )
        except BillingAppError as exc:
            self.dry_busy = False
            self._show_error(exc)
            return
        self.dry, self.dry_topups = dry_run_view(result, self.currency)
        self.dry_busy = False

    @rx.event
    async def skip(self, debit_id: int):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        try:
            await call_service(debits.skip, org_id=principal.org_id, debit_id=debit_id)
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
        else:
            yield rx.toast.success("Skipped: this top-up will not be charged.")
        found = await self._found()
        if found is not None:
            self._show(found, keep_form=True)
