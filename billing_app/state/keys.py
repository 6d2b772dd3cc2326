"""The API keys page's state: the keys, creating one (its secret shown once), a key's
monthly budget, revoking, and the org's routing mode."""

from __future__ import annotations

import reflex as rx

from billing_app.errors import BillingAppError
from billing_app.models import RoutingMode
from billing_app.money import AmountError, format_money, parse_typed_amount
from billing_app.rows.keys import KeyRow, key_row
from billing_app.services import api_keys, pricing
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal

BUDGET_HELP = "Enter the monthly budget as an amount, e.g. 500, or leave it empty for no limit."


def budget_micros(text: str) -> int | None:
    """A budget as typed ("500", "₹1,000"); empty: no budget. Raises AmountError."""
    return parse_typed_amount(text) if text.strip() else None


class KeysState(rx.State):
    rows: list[KeyRow] = []
    loading: bool = True
    name: str = ""
    budget: str = ""
    error: str = ""
    creating: bool = False
    new_secret: str = ""  # the key just created: shown once, gone when dismissed
    new_name: str = ""
    mode: str = RoutingMode.AUTO.value
    # The budget dialog: the key being changed ("" when closed) and the amount typed.
    editing_id: int = 0  # 0: the dialog is closed
    editing_name: str = ""
    editing_budget: str = ""
    editing_error: str = ""
    saving_budget: bool = False
    auto_markup: str = ""
    tier_markup: str = ""

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self, Permission.MANAGE_KEYS)
        if principal is None:
            return
        keys = await call_service(api_keys.list_keys, org_id=principal.org_id)
        self.rows = [key_row(k, principal.currency) for k in keys]
        profile = await call_service(pricing.get_routing_profile, org_id=principal.org_id)
        self.mode = profile.mode
        self.auto_markup = f"+{pricing.markup_percent(RoutingMode.AUTO)} %"
        self.tier_markup = f"+{pricing.markup_percent(RoutingMode.TIER)} %"
        self.loading = False

    @rx.event
    def set_name(self, value: str) -> None:
        self.name = value
        self.error = ""

    @rx.event
    def set_budget(self, value: str) -> None:
        self.budget = value
        self.error = ""

    @rx.event
    async def create(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The inputs are controlled: `form` repeats what name and budget already hold."""
        if self.creating:
            return
        principal = await current_principal(self, Permission.MANAGE_KEYS)
        if principal is None:
            return
        try:
            budget = budget_micros(self.budget)
        except AmountError:
            self.error = BUDGET_HELP
            return
        self.creating = True
        yield
        try:
            created = await call_service(
                api_keys.create_key,
                org_id=principal.org_id,
                name=self.name,
                monthly_budget_micros=budget,
                user_id=principal.user_id,
            )
        except BillingAppError as exc:
            self.error = exc.message
            self.creating = False
            return
        self.new_secret, self.new_name = created.secret, created.key.name
        self.name, self.budget, self.creating = "", "", False
        yield KeysState.load

    @rx.event
    def start_budget_edit(self, key_id: int, name: str, budget: str) -> None:
        self.editing_id, self.editing_name, self.editing_budget, self.editing_error = key_id, name, budget, ""

    @rx.event
    def close_budget_edit(self, open_: bool = False) -> None:
        if not open_:
            self.editing_id = 0

    @rx.event
    def set_editing_budget(self, value: str) -> None:
        self.editing_budget = value
        self.editing_error = ""

    @rx.event
    async def save_budget(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The input is controlled: `form` repeats what editing_budget holds."""
        principal = await current_principal(self, Permission.MANAGE_KEYS)
        if principal is None or not self.editing_id or self.saving_budget:
            return
        try:
            budget = budget_micros(self.editing_budget)
        except AmountError:
            self.editing_error = BUDGET_HELP
            return
        self.saving_budget = True
        yield
        try:
            key = await call_service(
                api_keys.set_budget, org_id=principal.org_id, key_id=self.editing_id, monthly_budget_micros=budget
            )
        except BillingAppError as exc:
            self.editing_error, self.saving_budget = exc.message, False
            return
        self.editing_id, self.saving_budget = 0, False
        limit = "no monthly limit" if budget is None else f"{format_money(budget, principal.currency)} a month"
        yield rx.toast.success(f"Budget of {key.name}: {limit}.")
        yield KeysState.load

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret = ""
        self.new_name = ""

    @rx.event
    async def revoke(self, key_id: int):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.MANAGE_KEYS)
        if principal is None:
            return
        try:
            await call_service(api_keys.revoke_key, org_id=principal.org_id, key_id=key_id)
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
            return
        yield rx.toast.success("Key revoked. Requests with it now get 401 invalid_api_key.")
        yield KeysState.load

    @rx.event
    async def set_mode(self, mode: str | list[str]):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.MANAGE_KEYS)
        if principal is None or not isinstance(mode, str) or mode == self.mode:
            return
        try:
            profile = await call_service(pricing.set_routing_mode, org_id=principal.org_id, mode=mode)
        except BillingAppError as exc:
            yield rx.toast.error(exc.message)
            return
        self.mode = profile.mode
        yield rx.toast.success(f"Routing mode set to {profile.mode}.")
