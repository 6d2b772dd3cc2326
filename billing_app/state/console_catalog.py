"""Promo codes (list, create with every rule the CLI has, disable) and model prices (list,
edit, load the catalog file). Every change takes a reason; the services refuse what the CLI
refuses, and their messages are shown beside the form."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from billing_app.config import get_settings
from billing_app.errors import BillingAppError
from billing_app.ist import IST
from billing_app.money import AmountError, parse_typed_amount
from billing_app.rows.console_lists import PriceLine, PromoLine, price_line, promo_line
from billing_app.services.console import catalog
from billing_app.state.session import call_service, current_staff


class FormError(ValueError):
    """A field typed wrong, before any service is called."""


def _whole(form: dict[str, str], name: str, label: str) -> int | None:
    text = form.get(name, "").strip().replace(",", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise FormError(f"{label}: enter a whole number.")
    return int(text)


def _money(form: dict[str, str], name: str, label: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_typed_amount(text)
    except AmountError:
        raise FormError(f"{label}: enter an amount, like 50 or 12.5.") from None


def _when(form: dict[str, str], name: str) -> datetime | None:
    """A datetime-local input, read as IST (the console shows IST everywhere)."""
    text = form.get(name, "").strip()
    return datetime.fromisoformat(text).replace(tzinfo=IST) if text else None


class ConsolePromosState(rx.State):
    promos: list[PromoLine] = []
    loading: bool = True
    error: str = ""
    notice: str = ""
    disable_reason: str = ""

    async def _reload(self) -> None:
        currency = get_settings().billing_currency
        self.promos = [promo_line(p, currency) for p in await call_service(catalog.list_promos)]

    @rx.event
    async def load(self) -> None:
        self.error, self.notice = "", ""
        if await current_staff(self) is None:
            return
        await self._reload()
        self.loading = False

    @rx.event
    async def create(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        if await current_staff(self) is None:
            return
        self.error, self.notice = "", ""
        try:
            bonus = _money(form, "bonus", "Bonus")
            percent = form.get("kind") == "percent"
            created = await call_service(
                catalog.create_promo,
                code=form.get("code", ""),
                reason=form.get("reason", ""),
                flat_bonus_micros=None if percent else bonus,
                percent=_whole(form, "bonus", "Percentage") if percent else None,
                cap_micros=_money(form, "cap", "Cap") if percent else None,
                min_topup_units=_whole(form, "min_topup", "Minimum top-up") or 0,
                starts_at=_when(form, "starts_at"),
                ends_at=_when(form, "ends_at"),
                max_redemptions=_whole(form, "max_redemptions", "Uses"),
                active=form.get("inactive") != "on",
            )
        except (FormError, ValueError) as exc:
            self.error = str(exc)
            return
        except BillingAppError as exc:
            self.error = exc.message
            return
        self.notice = f"{created.code} created: {created.summary}."
        await self._reload()
        yield rx.call_script("document.getElementById('promo-form').reset()")

    @rx.event
    def set_disable_reason(self, value: str) -> None:
        self.disable_reason = value

    @rx.event
    async def disable(self, code: str) -> None:
        if await current_staff(self) is None:
            return
        self.error, self.notice = "", ""
        try:
            changed = await call_service(catalog.disable_promo, code=code, reason=self.disable_reason)
        except BillingAppError as exc:
            self.error = f"{code}: {exc.message}"
            return
        self.notice = f"{code} is disabled." if changed else f"{code} was disabled already."
        await self._reload()


class ConsolePricesState(rx.State):
    prices: list[PriceLine] = []
    loading: bool = True
    error: str = ""
    notice: str = ""
    editing: str = ""  # the model whose form is open ("" none; "+": a new model)
    edit_input: str = ""
    edit_output: str = ""

    async def _reload(self) -> None:
        currency = get_settings().billing_currency
        self.prices = [price_line(p, currency) for p in await call_service(catalog.list_prices)]

    @rx.event
    async def load(self) -> None:
        self.error, self.notice, self.editing = "", "", ""
        if await current_staff(self) is None:
            return
        await self._reload()
        self.loading = False

    @rx.event
    def edit(self, model: str, input_plain: str, output_plain: str) -> None:
        self.editing, self.edit_input, self.edit_output, self.error = model, input_plain, output_plain, ""

    @rx.event
    def cancel(self) -> None:
        self.editing = ""

    @rx.event
    async def save(self, form: dict[str, str]) -> None:
        if await current_staff(self) is None:
            return
        self.error, self.notice = "", ""
        try:
            rates = _money(form, "input", "Input rate"), _money(form, "output", "Output rate")
            if rates[0] is None or rates[1] is None:
                raise FormError("Enter both rates, per million tokens.")
            saved = await call_service(
                catalog.set_price,
                model=form.get("model", self.editing),
                input_micros_per_million=rates[0],
                output_micros_per_million=rates[1],
                reason=form.get("reason", ""),
                active=form.get("retired") != "on",
            )
        except FormError as exc:
            self.error = str(exc)
            return
        except BillingAppError as exc:
            self.error = exc.message
            return
        self.notice, self.editing = f"{saved.model}: new rates apply from the next request.", ""
        await self._reload()

    @rx.event
    async def load_catalog(self, form: dict[str, str]) -> None:
        if await current_staff(self) is None:
            return
        self.error, self.notice = "", ""
        try:
            changed = await call_service(
                catalog.load_catalog, reason=form.get("reason", ""), overwrite=form.get("overwrite") == "on"
            )
        except BillingAppError as exc:
            self.error = exc.message
            return
        self.notice = f"Catalog loaded: {changed} prices changed."
        await self._reload()
