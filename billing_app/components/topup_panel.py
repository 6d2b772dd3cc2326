"""The top-up panel on the Billing page: amount, promo code, then Razorpay Standard Checkout."""

from __future__ import annotations

import reflex as rx

from billing_app.components.forms import field_label, form_error, hint, stacked_form
from billing_app.components.layout import card
from billing_app.components.money_input import money_input
from billing_app.money import format_units, units_to_micros
from billing_app.services.topup_rules import topup_rules
from billing_app.state.topup import TopupState


def _chip(units: int, currency: str) -> rx.Component:
    return rx.button(
        format_units(units_to_micros(units), currency),
        variant=rx.cond(TopupState.amount == str(units), "solid", "surface"),
        on_click=TopupState.pick(units),  # type: ignore[operator]
        type="button",
        size="2",
        data_testid=f"preset-{units}",
    )


def _promo_button() -> rx.Component:
    return rx.cond(
        TopupState.promo_applied != "",
        rx.button(
            "Remove", type="button", variant="soft", color_scheme="gray", size="3", on_click=TopupState.remove_promo
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
    )


def _promo_field() -> rx.Component:
    return rx.vstack(
        field_label("Promo code", "promo-code"),
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
            _promo_button(),
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


def _price() -> rx.Component:
    """What Razorpay will charge when that is not the amount itself: GST on top (with
    SELLER_GSTIN), or the rupees for a USD amount."""
    return rx.cond(
        TopupState.gst_sentence != "",
        rx.hstack(
            rx.icon("receipt-indian-rupee", size=14),
            rx.text("You pay ", rx.text.strong(TopupState.gst_sentence), size="2"),
            color=rx.color("gray", 12),
            spacing="1",
            align="center",
            data_testid="gst-price",
        ),
        rx.cond(
            TopupState.rupee_price != "",
            rx.text("You pay ", TopupState.rupee_price, " via Razorpay", size="2", data_testid="inr-price"),
        ),
    )


def _amount_field() -> rx.Component:
    rules = topup_rules()
    lowest, highest = (format_units(units_to_micros(u), rules.currency) for u in (rules.min_units, rules.max_units))
    return rx.vstack(
        money_input(
            "Custom amount",
            "amount",
            max_width="16em",
            whole=True,
            value=TopupState.amount,
            on_change=TopupState.set_amount,
            placeholder=str(rules.presets[len(rules.presets) // 2]),
        ),
        hint(f"Whole amounts from {lowest} to {highest}."),
        _price(),
        spacing="1",
        align="start",
    )


def _outcome() -> rx.Component:
    return rx.fragment(
        form_error(TopupState.error),
        rx.cond(
            TopupState.notice != "",
            rx.callout(TopupState.notice, icon="info", color_scheme="amber", width="100%", data_testid="topup-notice"),
        ),
        rx.cond(
            TopupState.success != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-check")),
                rx.callout.text(TopupState.success),
                rx.cond(
                    TopupState.receipt_url != "",
                    rx.link(
                        TopupState.receipt_label,
                        href=TopupState.receipt_url,
                        size="2",
                        weight="medium",
                        data_testid="success-receipt",
                    ),
                ),
                color_scheme="grass",
                width="100%",
                data_testid="topup-success",
            ),
        ),
    )


def topup_panel() -> rx.Component:
    rules = topup_rules()
    return card(
        stacked_form(
            rx.heading("Add credits", size="4"),
            rx.hstack(*[_chip(units, rules.currency) for units in rules.presets], wrap="wrap", spacing="2"),
            _amount_field(),
            _promo_field(),
            _outcome(),
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
            on_submit=TopupState.pay,
        )
    )
