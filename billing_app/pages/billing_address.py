"""Billing address: the form with PIN-code autofill, and the summary card on the billing page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.forms import form_error, labelled_input
from billing_app.components.layout import card, page_frame
from billing_app.errors import BillingAppError, InvalidRequest, NotFound, Unauthenticated
from billing_app.gst import GST_STATES
from billing_app.integrations.pincodes import DATA_CREDIT
from billing_app.services import addresses
from billing_app.state.session import call_service, current_principal

FIELDS = ("name", "line1", "line2", "pin", "city", "state_code", "gstin")
PIN_UNKNOWN = "We couldn't find this PIN code. Please enter your city and state yourself."
PIN_NO_STATE = "We know this PIN code but not its state. Please choose the state."
PIN_SEVERAL = "Several districts share this PIN code: pick yours from the District list."


def safe_next(value: str | None) -> str:
    """Where to go after saving: a path on this site, else the billing page. Refuses
    `//host`, `/\\host` and anything with a scheme or control characters (open redirect)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    ):
        return routes.BILLING
    return value


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
        self.next_path = safe_next(self.router.url.query_parameters.get("next"))
        principal = await current_principal(self)
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
        digits = "".join(value.split())
        if len(digits) != 6 or not digits.isdigit():
            return
        try:
            found = await call_service(addresses.lookup_pin, pin=digits)
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
        principal = await current_principal(self)
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


class AddressSummaryState(rx.State):
    """The saved address as printed lines, for the card on the billing page."""

    lines: list[str] = []
    loaded: bool = False

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self)
        if principal is None:
            return
        address = await call_service(addresses.get_address, org_id=principal.org_id)
        self.lines = addresses.format_address(address) if address else []
        self.loaded = True


# ---- components ----------------------------------------------------------------------


def _field_error(field: str) -> rx.Component:
    return rx.cond(
        AddressState.error_field == field,
        rx.text(AddressState.error, size="2", color=rx.color("red", 11), role="alert", data_testid=f"error-{field}"),
    )


def _cell(*children: rx.Component, wide: bool = False) -> rx.Component:
    return rx.vstack(
        *children,
        spacing="1",
        width="100%",
        align="stretch",
        grid_column="1 / -1" if wide else "auto",
    )


def _text_field(label: str, field: str, *, wide: bool = False, **props: Any) -> rx.Component:
    return _cell(
        labelled_input(
            label,
            field,
            value=getattr(AddressState, field),
            on_change=getattr(AddressState, f"set_{field}"),
            aria_invalid=rx.cond(AddressState.error_field == field, "true", "false"),
            **props,
        ),
        _field_error(field),
        wide=wide,
    )


def _label(text: str, field: str) -> rx.Component:
    return rx.el.label(text, html_for=f"field-{field}", font_size="0.875rem", font_weight="500")


def _state_select() -> rx.Component:
    return _cell(
        _label("State", "state_code"),
        rx.select.root(
            rx.select.trigger(placeholder="Choose a state", id="field-state_code", width="100%"),
            rx.select.content(
                *[rx.select.item(f"{state.name} ({state.code})", value=state.code) for state in GST_STATES],
                position="popper",
                max_height="320px",
            ),
            value=AddressState.state_code,
            on_change=AddressState.set_state_code,
            size="3",
        ),
        _field_error("state_code"),
    )


def _district_choice() -> rx.Component:
    return rx.cond(
        AddressState.districts.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            _label("District", "district"),
            rx.select.root(
                rx.select.trigger(
                    placeholder="Choose your district", id="field-district", width="100%", data_testid="district-choice"
                ),
                rx.select.content(
                    rx.foreach(AddressState.districts, lambda d: rx.select.item(d, value=d)),
                    position="popper",
                ),
                value=AddressState.district,
                on_change=AddressState.choose_district,
                size="3",
            ),
            spacing="1",
            width="100%",
            align="stretch",
            margin_top="0.25em",
        ),
    )


def _pin_feedback() -> rx.Component:
    return rx.fragment(
        rx.cond(
            AddressState.pin_filled != "",
            rx.hstack(
                rx.icon("circle-check", size=14, color=rx.color("grass", 10), flex_shrink="0"),
                rx.text("Filled in: ", AddressState.pin_filled, size="2", color=rx.color("grass", 11)),
                spacing="1",
                align="center",
                data_testid="pin-filled",
            ),
        ),
        rx.cond(
            AddressState.pin_message != "",
            rx.hstack(
                rx.icon("info", size=14, color=rx.color("amber", 10), flex_shrink="0", margin_top="0.2em"),
                rx.text(AddressState.pin_message, size="2", color=rx.color("gray", 11)),
                spacing="1",
                align="start",
                role="status",
                data_testid="pin-message",
            ),
        ),
    )


def _city_field() -> rx.Component:
    """City, and under it the district choice when the PIN spans several (it fills City)."""
    return _cell(
        labelled_input(
            "City",
            "city",
            value=AddressState.city,
            on_change=AddressState.set_city,
            auto_complete="address-level2",
            aria_invalid=rx.cond(AddressState.error_field == "city", "true", "false"),
        ),
        _field_error("city"),
        _district_choice(),
    )


def _pin_field() -> rx.Component:
    return _cell(
        labelled_input(
            "PIN code",
            "pin",
            value=AddressState.pin,
            on_change=AddressState.set_pin,
            input_mode="numeric",
            auto_complete="postal-code",
            max_length=7,
            placeholder="e.g. 560001",
            aria_invalid=rx.cond(AddressState.error_field == "pin", "true", "false"),
        ),
        _field_error("pin"),
        _pin_feedback(),
    )


def address_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _text_field("Name (person or company)", "name", wide=True, auto_complete="organization"),
                _text_field("Address line 1", "line1", wide=True, auto_complete="address-line1"),
                _text_field("Address line 2 (optional)", "line2", wide=True, auto_complete="address-line2"),
                _pin_field(),
                _city_field(),
                _state_select(),
                _text_field(
                    "GSTIN (optional)",
                    "gstin",
                    placeholder="29AAGCB7383J1Z4",
                    max_length=15,
                    auto_complete="off",
                    text_transform="uppercase",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
                align_items="start",
            ),
            form_error(AddressState.form_error_message),
            rx.hstack(
                rx.button(
                    "Save address", type="submit", size="3", loading=AddressState.saving, data_testid="save-address"
                ),
                rx.button(rx.link("Cancel", href=AddressState.next_path), as_child=True, size="3", variant="soft"),
                spacing="3",
                wrap="wrap",
            ),
            rx.text(DATA_CREDIT, size="1", color=rx.color("gray", 10), data_testid="pin-data-credit"),
            spacing="5",
            width="100%",
        ),
        on_submit=AddressState.save,
        width="100%",
    )


def billing_address_page() -> rx.Component:
    return page_frame(
        routes.BILLING,
        "Billing address",
        rx.text(
            "Printed on your receipts. Add your GSTIN to claim input tax credit. "
            "Type your PIN code first: we fill in the city and state.",
            size="2",
            color=rx.color("gray", 11),
            max_width="760px",
        ),
        card(address_form(), max_width="760px"),
    )


def address_summary_card() -> rx.Component:
    """For the billing page: the saved address, or a nudge to add one before a top-up."""
    has_address = AddressSummaryState.lines.length() > 0  # type: ignore[attr-defined]
    return card(
        rx.vstack(
            rx.hstack(
                rx.icon("map-pin", size=18, color=rx.color("gray", 11)),
                rx.heading("Billing address", size="4", white_space="nowrap"),
                rx.spacer(),
                rx.button(
                    rx.link(
                        rx.cond(has_address, "Edit", "Add"),
                        href=routes.billing_address_url(routes.BILLING),
                        data_testid="address-edit",
                    ),
                    as_child=True,
                    variant="soft",
                    size="2",
                ),
                align="center",
                width="100%",
            ),
            rx.cond(
                AddressSummaryState.loaded,
                rx.cond(
                    has_address,
                    rx.vstack(
                        rx.foreach(AddressSummaryState.lines, lambda line: rx.text(line, size="2")),
                        spacing="0",
                        data_testid="address-summary",
                    ),
                    rx.text(
                        "No billing address yet — add one before your first top-up.",
                        size="2",
                        color=rx.color("gray", 11),
                        data_testid="address-missing",
                    ),
                ),
                rx.skeleton(height="3em", width="100%"),
            ),
            spacing="3",
            width="100%",
        ),
        data_testid="address-card",
    )
