"""The top-up panel on the Billing page: amount, then Razorpay Standard Checkout."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.forms import form_error
from billing_app.components.layout import card
from billing_app.config import get_settings
from billing_app.errors import AddressRequired, BillingAppError
from billing_app.money import format_paise, format_units, units_to_micros
from billing_app.services import promos, settlement, topups
from billing_app.services.topup_rules import quote_topup, topup_rules
from billing_app.state.session import SessionState, call_service, current_principal


def open_checkout_script(options: dict[str, Any], checkout_js_url: str) -> str:
    """JavaScript that loads checkout.js if needed, opens it, and resolves with the
    outcome: {outcome: "paid", razorpay_*} | {outcome: "failed"|"dismissed"|"error", error}."""
    return f"""new Promise((resolve) => {{
  const options = {json.dumps(options)};
  const start = () => {{
    let lastError = "";
    options.handler = (r) => resolve({{outcome: "paid", ...r}});
    options.modal = {{ondismiss: () => resolve({{outcome: lastError ? "failed" : "dismissed", error: lastError}})}};
    const rzp = new window.Razorpay(options);
    rzp.on("payment.failed", (r) => {{ lastError = (r && r.error && r.error.description) || "Payment failed"; }});
    rzp.open();
  }};
  if (window.Razorpay) {{ start(); return; }}
  const s = document.createElement("script");
  s.src = {json.dumps(checkout_js_url)};
  s.onload = start;
  s.onerror = () => resolve({{outcome: "error", error: "Razorpay Checkout could not be loaded."}});
  document.head.appendChild(s);
}})"""


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
    last_payment_id: str = ""

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

    async def _requote_promo(self) -> None:
        """The bonus depends on the amount (percentage codes): quote it again, quietly."""
        if not self.promo_applied:
            return
        principal = await current_principal(self)
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
        self.amount = value.strip()
        self.error = ""
        await self._requote_promo()

    @rx.event
    async def pick(self, units: int) -> None:
        self.amount = str(units)
        self.error = ""
        await self._requote_promo()

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
        principal = await current_principal(self)
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

    def _reset_messages(self) -> None:
        self.error = ""
        self.notice = ""
        self.success = ""

    @rx.event
    async def pay(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The form's values as the browser has them now: typed text reaches the state
        debounced, and paying must never use an amount from before the last keystroke."""
        if self.busy:  # a double click queues a second event: it must not create a second order
            return
        self.amount = str(form.get("amount", self.amount)).strip()
        self.promo_code = str(form.get("promo_code", self.promo_code))
        self._reset_messages()
        principal = await current_principal(self)
        if principal is None:
            return
        self.busy = True
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

    @rx.event
    async def checkout_finished(self, result: dict[str, str]):  # type: ignore[no-untyped-def]
        outcome = (result or {}).get("outcome")
        if outcome != "paid":
            self.busy = False
            if outcome == "dismissed":
                self.notice = "Payment cancelled. Nothing was charged; you can try again."
            else:
                self.error = f"{result.get('error') or 'The payment did not go through.'} You can try again."
            return
        principal = await current_principal(self)
        if principal is None:
            return
        try:
            settled = await call_service(
                settlement.verify_checkout,
                org_id=principal.org_id,
                razorpay_order_id=result.get("razorpay_order_id", ""),
                razorpay_payment_id=result.get("razorpay_payment_id", ""),
                razorpay_signature=result.get("razorpay_signature", ""),
            )
        except BillingAppError as exc:
            self.busy = False
            self.notice = f"{exc.message} If you were charged, your credits arrive automatically within a few minutes."
            return
        self.busy = False
        if settled.status != "paid":
            self.notice = "Payment received. Razorpay is still confirming it; your credits will appear shortly."
            return
        session = await self.get_state(SessionState)
        session.balance_micros = settled.balance_micros
        self.success = f"Credits added. Your balance is now {session.balance_display}."
        self.last_payment_id = settled.payment_id or ""
        self.amount = ""
        self._clear_promo()
        from billing_app.pages.billing import BillingState  # billing.py places this panel

        yield BillingState.load


def _chip(units: int, currency: str) -> rx.Component:
    return rx.button(
        format_units(units_to_micros(units), currency),
        variant=rx.cond(TopupState.amount == str(units), "solid", "surface"),
        on_click=TopupState.pick(units),  # type: ignore[operator]
        type="button",
        size="2",
        data_testid=f"preset-{units}",
    )


def _promo_field() -> rx.Component:
    return rx.vstack(
        rx.el.label("Promo code", html_for="promo-code", font_size="0.875rem", font_weight="500"),
        rx.hstack(
            rx.input(
                id="promo-code",
                name="promo_code",
                value=TopupState.promo_code,
                on_change=TopupState.set_promo_code,
                placeholder="Optional",
                text_transform="uppercase",
                size="3",
                max_length=40,
                max_width="12em",
            ),
            rx.cond(
                TopupState.promo_applied != "",
                rx.button(
                    "Remove",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                    on_click=TopupState.remove_promo,
                ),
                rx.button(
                    "Apply",
                    type="button",
                    variant="soft",
                    size="3",
                    on_click=TopupState.apply_promo,
                    loading=TopupState.promo_busy,
                    data_testid="apply-promo",
                ),
            ),
            spacing="2",
        ),
        rx.cond(
            TopupState.promo_error != "",
            rx.text(TopupState.promo_error, size="2", color=rx.color("tomato", 11), data_testid="promo-error"),
        ),
        rx.cond(
            TopupState.pay_summary != "",
            rx.hstack(
                rx.icon("gift", size=14),
                rx.text(
                    TopupState.pay_summary,
                    " with ",
                    TopupState.promo_applied,
                    size="2",
                    weight="medium",
                    data_testid="promo-summary",
                ),
                color=rx.color("grass", 11),
                spacing="1",
                align="center",
            ),
        ),
        spacing="1",
        align="start",
    )


def _success() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle-check")),
        rx.callout.text(TopupState.success),
        rx.link(
            "View receipt",
            href="/billing/receipts/" + TopupState.last_payment_id,
            size="2",
            weight="medium",
            data_testid="success-receipt",
        ),
        color_scheme="grass",
        width="100%",
        data_testid="topup-success",
    )


def topup_panel() -> rx.Component:
    rules = topup_rules()
    limits = (
        f"Whole amounts from {format_units(units_to_micros(rules.min_units), rules.currency)} "
        f"to {format_units(units_to_micros(rules.max_units), rules.currency)}."
    )
    symbol = "₹" if rules.currency == "INR" else "$"
    return card(
        rx.form(
            rx.vstack(
                rx.heading("Add credits", size="4"),
                rx.hstack(*[_chip(units, rules.currency) for units in rules.presets], wrap="wrap", spacing="2"),
                rx.vstack(
                    rx.el.label("Custom amount", html_for="topup-amount", font_size="0.875rem", font_weight="500"),
                    rx.input(
                        rx.input.slot(symbol),
                        id="topup-amount",
                        name="amount",
                        value=TopupState.amount,
                        on_change=TopupState.set_amount,
                        placeholder=str(rules.presets[len(rules.presets) // 2]),
                        input_mode="numeric",
                        size="3",
                        width="100%",
                        max_width="16em",
                    ),
                    rx.text(limits, size="1", color=rx.color("gray", 11)),
                    rx.cond(
                        TopupState.rupee_price != "",
                        rx.text("You pay ", TopupState.rupee_price, " via Razorpay", size="2", data_testid="inr-price"),
                    ),
                    spacing="1",
                    align="start",
                ),
                _promo_field(),
                form_error(TopupState.error),
                rx.cond(
                    TopupState.notice != "",
                    rx.callout(
                        TopupState.notice, icon="info", color_scheme="amber", width="100%", data_testid="topup-notice"
                    ),
                ),
                rx.cond(TopupState.success != "", _success()),
                rx.button(
                    rx.icon("credit-card", size=16),
                    "Add credits",
                    type="submit",
                    loading=TopupState.busy,
                    disabled=TopupState.amount == "",
                    size="3",
                    data_testid="add-credits",
                ),
                rx.text(
                    "Payments are processed by Razorpay (UPI, cards, netbanking).", size="1", color=rx.color("gray", 10)
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=TopupState.pay,
            reset_on_submit=False,
        )
    )
