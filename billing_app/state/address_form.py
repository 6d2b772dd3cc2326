"""The billing-address form's state: PIN-code autofill, and saving, then back to where the
user came from."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.errors import BillingAppError, InvalidRequest, NotFound, Unauthenticated
from billing_app.services import addresses, navigation
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal

FIELDS = ("name", "line1", "line2", "pin", "city", "state_code", "gstin")
PIN_UNKNOWN = "We couldn't find this PIN code. Please enter your city and state yourself."
PIN_NO_STATE = "We know this PIN code but not its state. Please choose the state."
PIN_SEVERAL = "Several districts share this PIN code: pick yours from the District list."


class AddressState(rx.State):
    name: str = ""
    line1: str = ""
    line2: str = ""
    pin: str = ""
    city: str = ""
    state_code: str = ""
    gstin: str = ""
    # Title-cased districts when the PIN spans several; the chosen one goes into city.
    districts: list[str] = []
    district: str = ""
    pin_message: str = ""
    pin_filled: str = ""  # what the PIN filled in, e.g. "Karnataka · Bengaluru Urban"
    error_field: str = ""
    error: str = ""
    saving: bool = False
    next_path: str = routes.BILLING
    _autofilled_city: str = ""

    @rx.var
    def form_error_message(self) -> str:
        """An error that belongs to no single field goes in the callout above the buttons."""
        return self.error if self.error_field not in FIELDS else ""

    def _clear_error(self, field: str) -> None:
        if self.error_field == field:
            self.error_field = ""
            self.error = ""

    def _clear_pin_feedback(self) -> None:
        self.districts = []
        self.district = ""
        self.pin_message = ""
        self.pin_filled = ""

    @rx.event
    async def load(self) -> None:
        """on_load: the saved address (or an empty form) and where to go after saving."""
        self.reset()
        self.next_path = navigation.safe_local_path(self.router.url.query_parameters.get("next"), routes.BILLING)
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        address = await call_service(addresses.get_address, org_id=principal.org_id)
        if address is None:
            return
        self.name = address.name
        self.line1 = address.line1
        self.line2 = address.line2
        self.pin = address.pin
        self.city = address.city
        self.state_code = address.state_code
        self.gstin = address.gstin or ""

    @rx.event
    def set_name(self, value: str) -> None:
        self.name = value
        self._clear_error("name")

    @rx.event
    def set_line1(self, value: str) -> None:
        self.line1 = value
        self._clear_error("line1")

    @rx.event
    def set_line2(self, value: str) -> None:
        self.line2 = value
        self._clear_error("line2")

    @rx.event
    def set_city(self, value: str) -> None:
        self.city = value
        self._clear_error("city")

    @rx.event
    def set_state_code(self, value: str) -> None:
        self.state_code = value
        self._clear_error("state_code")
        if self.error_field == "gstin":  # the GSTIN may now match the state
            self._clear_error("gstin")

    @rx.event
    def set_gstin(self, value: str) -> None:
        self.gstin = value
        self._clear_error("gstin")

    @rx.event
    def choose_district(self, value: str) -> None:
        self.district = value
        self.city = value
        self._autofilled_city = value
        self._clear_error("city")

    @rx.event
    async def set_pin(self, value: str) -> None:
        """Typing a full PIN fills state and city from the offline directory at once.
        Everything it fills stays editable; an unknown PIN only shows a gentle note."""
        self.pin = value
        self._clear_error("pin")
        self._clear_pin_feedback()
        pin = addresses.complete_pin(value)
        if pin is None:  # not yet six digits (or never a PIN): nothing to look up
            return
        try:
            found = await call_service(addresses.lookup_pin, pin=pin)
        except InvalidRequest as exc:
            self.pin_message = exc.message
            return
        except NotFound:
            self.pin_message = PIN_UNKNOWN
            return
        filled = []
        if found.state_code:
            self.state_code = found.state_code
            self._clear_error("state_code")
            filled.append(f"{found.state} ({found.state_code})")
        else:
            self.pin_message = PIN_NO_STATE
        cities = [addresses.city_from_district(d) for d in found.districts]
        # A city we filled from an earlier PIN is replaced; one the user typed is kept.
        user_typed_city = bool(self.city.strip()) and self.city != self._autofilled_city
        if len(cities) == 1:
            self.city = cities[0]
            self._autofilled_city = cities[0]
            self._clear_error("city")
            filled.append(cities[0])
        elif len(cities) > 1:
            self.districts = cities
            if not user_typed_city:
                self.city = ""
                self._autofilled_city = ""
            self.pin_message = self.pin_message or PIN_SEVERAL
        if filled:
            self.pin_filled = " · ".join(filled)

    @rx.event
    async def save(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        # The inputs' own values are what the user sees; the state select is read from state.
        for field in ("name", "line1", "line2", "pin", "city", "gstin"):
            if field in form:
                setattr(self, field, str(form[field]))
        self.saving = True
        self.error_field = ""
        self.error = ""
        yield
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            self.saving = False
            yield rx.redirect(routes.LOGIN)
            return
        try:
            await call_service(
                addresses.save_address,
                org_id=principal.org_id,
                name=self.name,
                line1=self.line1,
                line2=self.line2,
                city=self.city,
                state_code=self.state_code,
                pin=self.pin,
                gstin=self.gstin or None,
            )
        except Unauthenticated:
            self.saving = False
            yield rx.redirect(routes.LOGIN)
            return
        except BillingAppError as exc:
            self.error_field = str(exc.details.get("field", ""))
            self.error = exc.message
            self.saving = False
            return
        self.saving = False
        yield rx.redirect(self.next_path)
        yield rx.toast.success("Billing address saved.")
