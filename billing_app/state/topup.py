"""The top-up panel's state: the amount, a promo code, then Razorpay Standard Checkout
(assets/checkout.js) and the verification of its result."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.config import get_settings
from billing_app.errors import AddressRequired, BillingAppError, Unauthenticated
from billing_app.money import format_paise, format_units
from billing_app.services import accounts, gst_invoices, promos, settlement, topups
from billing_app.services.roles import Permission
from billing_app.services.topup_rules import quote_topup
from billing_app.state.gst_documents import DocumentsState
from billing_app.state.history import HistoryState
from billing_app.state.session import SessionState, call_service, current_principal


def open_checkout_script(options: dict[str, Any], checkout_js_url: str) -> str:
    """The call into assets/checkout.js; the promise resolves with the checkout's outcome."""
    return f"window.billingAppCheckout({json.dumps(options)}, {json.dumps(checkout_js_url)})"


class TopupState(rx.State):
    amount: str = ""
    promo_code: str = ""
    promo_applied: str = ""  # the code whose bonus is shown
    promo_bonus_micros: int = 0
    promo_error: str = ""
    promo_busy: bool = False
    busy: bool = False
    error: str = ""
    notice: str = ""
    success: str = ""
    receipt_url: str = ""  # of the top-up just paid: its tax invoice, or its receipt
    receipt_label: str = "View receipt"
    # With SELLER_GSTIN set: "₹500 + ₹90 GST = ₹590" for the amount chosen, priced for the org's
    # billing address (services/gst_pricing.py), as the order will be; "" without GST.
    gst_sentence: str = ""

    @rx.var
    def rupee_price(self) -> str:
        """In USD mode, what the chosen amount costs in ₹ (shown before paying)."""
        try:
            quote = quote_topup(amount=self.amount)
        except BillingAppError:
            return ""
        return format_paise(quote.amount_paise) if quote.currency != "INR" else ""

    @rx.var
    def pay_summary(self) -> str:
        """ "₹500 + ₹50 bonus" once a code is applied to a valid amount."""
        try:
            quote = quote_topup(amount=self.amount)
        except BillingAppError:
            return ""
        paid = format_units(quote.credits_micros, quote.currency)
        if not self.promo_applied or not self.promo_bonus_micros:
            return ""
        return f"{paid} + {format_units(self.promo_bonus_micros, quote.currency)} bonus"

    async def _requote_gst(self) -> None:
        """What the chosen amount costs with GST, as create_order will charge it."""
        self.gst_sentence = ""
        if not self.amount or not get_settings().gst_enabled:
            return
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        try:
            quote = await call_service(quote_topup, amount=self.amount, org_id=principal.org_id)
        except BillingAppError:
            return  # an amount outside the limits says so when paying
        self.gst_sentence = quote.gst.sentence if quote.gst else ""

    @rx.event
    async def load(self) -> None:
        """On opening Billing: no outcome of an earlier visit's payment (the balance may have
        moved since), and the price of an amount chosen before (the address may be new)."""
        if not self.busy:
            self.error = self.notice = self.success = self.receipt_url = ""
        await self._requote_gst()

    async def _requote_promo(self) -> None:
        """The bonus depends on the amount (percentage codes): quote it again, quietly."""
        if not self.promo_applied:
            return
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        try:
            quote = quote_topup(amount=self.amount)
            promo = await call_service(
                promos.validate_promo,
                org_id=principal.org_id,
                code=self.promo_applied,
                credits_micros=quote.credits_micros,
                units=quote.units,
            )
        except BillingAppError as exc:
            self.promo_bonus_micros = 0
            if exc.code.startswith("promo_"):
                self.promo_error = exc.message
            return
        self.promo_bonus_micros = promo.bonus_micros
        self.promo_error = ""

    @rx.event
    async def set_amount(self, value: str) -> None:
        """Typed text arrives debounced, possibly after `pay` already read the same value from
        the form: only a change clears the error that `pay` showed for it."""
        if value.strip() == self.amount:
            return
        self.amount = value.strip()
        self.error = ""
        await self._requote_promo()
        await self._requote_gst()

    @rx.event
    async def pick(self, units: int) -> None:
        self.amount = str(units)
        self.error = ""
        await self._requote_promo()
        await self._requote_gst()

    @rx.event
    def set_promo_code(self, value: str) -> None:
        self.promo_code = value
        self.promo_error = ""
        if promos.normalise_code(value) != self.promo_applied:
            self.promo_applied = ""
            self.promo_bonus_micros = 0

    @rx.event
    async def apply_promo(self):  # type: ignore[no-untyped-def]
        self.promo_error = ""
        if not self.promo_code.strip():
            self.promo_error = "Enter a promo code."
            return
        if not self.amount:
            self.promo_error = "Choose an amount first."
            return
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        self.promo_busy = True
        yield
        try:
            quote = await call_service(
                promos.check_promo,
                org_id=principal.org_id,
                user_id=principal.user_id,
                code=self.promo_code,
                amount=self.amount,
            )
        except BillingAppError as exc:
            self.promo_applied = ""
            self.promo_bonus_micros = 0
            self.promo_error = exc.message
        else:
            self.promo_applied = quote.code
            self.promo_bonus_micros = quote.bonus_micros
        self.promo_busy = False

    @rx.event
    def remove_promo(self) -> None:
        self._clear_promo()

    def _clear_promo(self) -> None:
        self.promo_code = ""
        self.promo_applied = ""
        self.promo_bonus_micros = 0
        self.promo_error = ""

    @rx.event
    async def pay(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The form's values as the browser has them now: typed text reaches the state
        debounced, and paying must never use an amount from before the last keystroke."""
        if self.busy:  # a double click queues a second event: it must not create a second order
            return
        self.amount = str(form.get("amount", self.amount)).strip()
        self.promo_code = str(form.get("promo_code", self.promo_code))
        self.error = self.notice = self.success = ""
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        self.busy = True
        await self._requote_gst()  # the amount as typed last, priced as the order is
        yield
        try:
            created = await call_service(
                topups.create_order, principal=principal, amount=self.amount, promo_code=self.promo_code or None
            )
        except AddressRequired:
            self.busy = False
            yield rx.toast.info("Add your billing address first; we'll bring you back here.")
            yield rx.redirect(routes.billing_address_url(routes.BILLING))
            return
        except BillingAppError as exc:
            self.busy = False
            if exc.code.startswith("promo_"):
                self.promo_error = exc.message
            else:
                self.error = exc.message
            return
        yield rx.call_script(
            open_checkout_script(created.checkout, get_settings().checkout_js_url),
            callback=TopupState.checkout_finished,
        )

    @rx.event(background=True)
    async def checkout_finished(self, result: dict[str, str]):  # type: ignore[no-untyped-def]
        """Checkout's outcome. Verifying a payment asks Razorpay (up to its timeout): that
        runs outside the state lock, which is taken only to read the session and to write
        the result, so the tab stays responsive meanwhile."""
        result = result or {}
        if result.get("outcome") != "paid":
            async with self:
                self._show_unpaid(result)
            return
        async with self:
            token = (await self.get_state(SessionState)).token
        try:
            principal = await call_service(accounts.authenticate, token=token)
            settled = await call_service(
                settlement.verify_checkout,
                org_id=principal.org_id,
                razorpay_order_id=result.get("razorpay_order_id", ""),
                razorpay_payment_id=result.get("razorpay_payment_id", ""),
                razorpay_signature=result.get("razorpay_signature", ""),
            )
        except Unauthenticated:
            async with self:
                self.busy = False
            return
        except BillingAppError as exc:
            async with self:
                self.busy = False
                self.notice = (
                    f"{exc.message} If you were charged, your credits arrive automatically within a few minutes."
                )
            return
        # A payment credited with GST on has its tax invoice (issued with the credit); one priced
        # before the GSTIN was set, or without one, has its receipt.
        serial = (
            await call_service(
                gst_invoices.invoice_serial_for_payment, org_id=principal.org_id, payment_id=settled.payment_id
            )
            if settled.status == "paid" and settled.payment_id
            else None
        )
        async with self:
            self.busy = False
            if settled.status != "paid":
                self.notice = "Payment received. Razorpay is still confirming it; your credits will appear shortly."
                return
            session = await self.get_state(SessionState)
            session.balance_micros = settled.balance_micros
            self.success = f"Credits added. Your balance is now {session.balance_display}."
            if serial:
                self.receipt_url, self.receipt_label = routes.invoice_url(serial), "View tax invoice"
            else:
                self.receipt_url = routes.receipt_url(settled.payment_id) if settled.payment_id else ""
                self.receipt_label = "View receipt"
            self.amount = ""
            self.gst_sentence = ""
            self._clear_promo()
        yield HistoryState.load
        yield DocumentsState.load

    def _show_unpaid(self, result: dict[str, str]) -> None:
        self.busy = False
        if result.get("outcome") == "dismissed":
            self.notice = "Payment cancelled. Nothing was charged; you can try again."
        else:
            self.error = f"{result.get('error') or 'The payment did not go through.'} You can try again."
