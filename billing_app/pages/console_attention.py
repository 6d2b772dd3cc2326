"""Payments needing attention (/console/attention): orders unpaid in our books (ask Razorpay,
one or all) and webhook deliveries that failed (raw body and error; process again, one or all)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import field_label, form_error
from billing_app.components.layout import section
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.state.console_attention import ConsoleAttentionState

S = ConsoleAttentionState


def _heading(title: str, button: str, on_click: object, test_id: str, anchor: str) -> rx.Component:
    return rx.flex(
        rx.heading(title, size="4", id=anchor),
        rx.spacer(),
        rx.button(button, size="2", variant="soft", on_click=on_click, data_testid=test_id),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def _check_button(row: RowVar) -> rx.Component:
    return rx.button(
        "Check",
        size="1",
        variant="soft",
        on_click=S.check_order(row.order_id),  # type: ignore[operator]
        data_testid="check-order",
    )


def _orders() -> rx.Component:
    return section(
        _heading("Unpaid orders", "Check all with Razorpay", S.check_all, "check-all-orders", "orders"),
        muted(
            "Still pending in our books 15 minutes after they were made. Checking asks Razorpay and credits "
            "a captured payment once, however often it is pressed."
        ),
        rx.cond(
            S.orders.length() > 0,  # type: ignore[attr-defined]
            responsive_list(
                S.orders,
                columns=[
                    Column("Order", lambda r: rx.vstack(rx.code(r.order_id, size="1"), muted(r.created), spacing="1")),
                    Column("Org", lambda r: rx.link(r.org, href=r.org_href, size="2")),
                    Column("Amount", lambda r: rx.text(r.amount, size="2"), numeric=True),
                    Column("Last checked (IST)", lambda r: rx.text(r.last_checked, size="2")),
                    Column("", _check_button, numeric=True),
                ],
                item=lambda r: stacked_item(
                    rx.hstack(rx.code(r.order_id, size="1"), rx.spacer(), rx.text(r.amount, size="2"), width="100%"),
                    muted(rx.link(r.org, href=r.org_href), " · made ", r.created, " · checked ", r.last_checked),
                    rx.box(_check_button(r), margin_top="0.4em"),
                    test_id="unpaid-order",
                ),
                table_test_id="unpaid-orders",
                row_test_id="unpaid-order",
            ),
            rx.box(
                empty_state(
                    "circle-check",
                    "No unpaid orders",
                    "Every order was paid or is younger than 15 minutes.",
                    testid="orders-empty",
                ),
                width="100%",
            ),
        ),
    )


def _webhook(row: RowVar) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.badge(row.problem, color_scheme="tomato", variant="soft"),
            rx.text(row.event_type, size="2", weight="medium"),
            rx.code(row.event_id, size="1"),
            rx.spacer(),
            rx.button(
                "Process again",
                size="1",
                variant="soft",
                on_click=S.process_again(row.id),  # type: ignore[operator]
                data_testid="process-again",
            ),
            wrap="wrap",
            spacing="2",
            align="center",
            width="100%",
        ),
        muted("Received ", row.received, " · ", row.size),
        rx.cond(row.error != "", rx.text(row.error, size="2", color_scheme="tomato", overflow_wrap="anywhere")),
        rx.el.details(
            rx.el.summary("Raw body", font_size="0.8rem", cursor="pointer"),
            rx.el.pre(
                row.raw_body,
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                font_size="0.75rem",
                padding="0.75em",
                margin_top="0.5em",
                border_radius="6px",
                background=rx.color("gray", 3),
                max_height="20em",
                overflow_y="auto",
                data_testid="raw-body",
            ),
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        data_testid="failed-webhook",
    )


def _webhooks() -> rx.Component:
    return section(
        _heading("Failed webhooks", "Process all again", S.process_all, "process-all", "webhooks"),
        muted(
            "Deliveries whose signature or processing failed, or that wait unprocessed. Processing again "
            "credits and refunds each payment once."
        ),
        rx.cond(
            S.webhooks.length() > 0,  # type: ignore[attr-defined]
            rx.box(rx.foreach(S.webhooks, _webhook), width="100%"),
            rx.box(
                empty_state(
                    "circle-check", "No failed deliveries", "Every webhook was processed.", testid="webhooks-empty"
                ),
                width="100%",
            ),
        ),
    )


def console_attention_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_ATTENTION,
        "Payments needing attention",
        section(
            "Reason",
            rx.vstack(
                field_label("Why you are acting (kept in the audit log with each check)", "attention-reason"),
                rx.input(
                    id="attention-reason",
                    value=S.reason,
                    on_change=S.set_reason,
                    width="100%",
                    placeholder="e.g. customer wrote in: paid but not credited",
                    data_testid="attention-reason",
                ),
                spacing="1",
                width="100%",
            ),
            form_error(S.error),
            rx.cond(
                S.results.length() > 0,  # type: ignore[attr-defined]
                rx.callout.root(
                    rx.callout.icon(rx.icon("info", size=16)),
                    rx.vstack(rx.foreach(S.results, lambda line: rx.text(line, size="2")), spacing="1"),
                    color_scheme="indigo",
                    width="100%",
                    data_testid="attention-results",
                ),
            ),
        ),
        rx.cond(S.loading, rx.skeleton(height="12em", width="100%"), rx.fragment(_orders(), _webhooks())),
    )
