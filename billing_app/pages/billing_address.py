"""Billing address: the form with PIN-code autofill (its state: state/address_form.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.forms import field_label, form_error, labelled_input, stacked_form
from billing_app.components.layout import card, page_frame
from billing_app.gst import GST_STATES
from billing_app.integrations.pincodes import DATA_CREDIT
from billing_app.services.roles import Permission
from billing_app.state.address_form import AddressState


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


def _text_field(label: str, field: str, *below: rx.Component, wide: bool = False, **props: Any) -> rx.Component:
    """The input, its error, then `below` (what the field explains about itself)."""
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
        *below,
        wide=wide,
    )


def _state_select() -> rx.Component:
    return _cell(
        field_label("State", "field-state_code"),
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
            field_label("District", "field-district"),
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
    return _text_field("City", "city", _district_choice(), auto_complete="address-level2")


def _pin_field() -> rx.Component:
    return _text_field(
        "PIN code",
        "pin",
        _pin_feedback(),
        input_mode="numeric",
        auto_complete="postal-code",
        max_length=7,
        placeholder="e.g. 560001",
    )


def address_form() -> rx.Component:
    return stacked_form(
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
            rx.button("Save address", type="submit", size="3", loading=AddressState.saving, data_testid="save-address"),
            rx.button(rx.link("Cancel", href=AddressState.next_path), as_child=True, size="3", variant="soft"),
            spacing="3",
            wrap="wrap",
        ),
        rx.text(DATA_CREDIT, size="1", color=rx.color("gray", 10), data_testid="pin-data-credit"),
        spacing="5",
        on_submit=AddressState.save,
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
        needs=Permission.PAY,
    )
