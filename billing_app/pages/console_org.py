"""An org's page in the console (/console/orgs/[org_id]): balance, orders and payments (with
Razorpay's live status on request, and refunds), the ledger, members, keys, usage, the alert
and the audit trail; a manual credit or debit."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted, notice
from billing_app.components.console_money import manual_dialog, refund_dialog
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import form_error
from billing_app.components.layout import section
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.state.console_money import ConsoleRefundState
from billing_app.state.console_orgs import ConsoleOrgState

S = ConsoleOrgState


def _text(value: object, **props: object) -> rx.Component:
    return rx.text(value, size="2", **props)


def _fact(label: str, value: rx.Var | str, test_id: str) -> rx.Component:
    return rx.vstack(
        muted(label),
        rx.text(value, size="3", weight="medium", data_testid=test_id),
        spacing="0",
        min_width="0",
    )


def _summary() -> rx.Component:
    return section(
        rx.flex(
            rx.vstack(
                rx.heading(S.name, size="5", data_testid="org-name"),
                muted("Org #", S.org_id, " · created ", S.created, " · ", S.currency),
                spacing="1",
            ),
            rx.spacer(),
            manual_dialog(),
            wrap="wrap",
            spacing="3",
            align="center",
            width="100%",
        ),
        rx.grid(
            _fact("Balance", S.balance, "org-balance"),
            _fact("Usage today (IST)", S.usage_today, "org-usage-today"),
            _fact("Usage, 30 days", S.usage_30_days, "org-usage-30"),
            _fact("Low-balance alert", S.alert, "org-alert"),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="4",
            width="100%",
        ),
    )


def _payment(row: RowVar) -> rx.Component:
    return rx.cond(
        row.payment_id != "",
        rx.vstack(
            rx.code(row.payment_id, size="1", data_testid="order-payment-id"),
            muted(row.method, rx.cond(row.refunded != "", rx.fragment(" · refunded ", row.refunded), "")),
            rx.cond(row.live != "", rx.text(row.live, size="1", color_scheme="indigo", data_testid="live-status")),
            spacing="1",
            align="start",
        ),
        muted("no payment credited"),
    )


def _actions(row: RowVar) -> rx.Component:
    return rx.cond(
        row.payment_id != "",
        rx.hstack(
            rx.button(
                "Check with Razorpay",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=S.check_payment(row.payment_id),  # type: ignore[operator]
                data_testid="check-payment",
            ),
            rx.cond(
                row.refundable,
                rx.button(
                    "Refund",
                    size="1",
                    variant="soft",
                    color_scheme="tomato",
                    on_click=ConsoleRefundState.start(row.payment_id, row.remaining),  # type: ignore[operator]
                    data_testid="refund-open",
                ),
            ),
            spacing="2",
            justify="end",
            wrap="wrap",
        ),
    )


def _order_item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(
            rx.text(row.amount, weight="medium", size="2"),
            rx.badge(row.status, variant="soft"),
            rx.spacer(),
            muted(row.credits, " credits"),
            width="100%",
            align="center",
        ),
        muted(row.order_id, " · ", row.created),
        rx.box(_payment(row), margin_y="0.4em"),
        _actions(row),
        test_id="order-row",
    )


def _orders() -> rx.Component:
    return section(
        "Orders and payments",
        form_error(S.live_error),
        rx.cond(
            S.orders.length() > 0,  # type: ignore[attr-defined]
            responsive_list(
                S.orders,
                columns=[
                    Column("Order", lambda r: rx.vstack(_text(r.order_id), muted(r.created), spacing="0")),
                    Column("Status", lambda r: rx.badge(r.status, variant="soft")),
                    Column("Amount", lambda r: _text(r.amount), numeric=True),
                    Column("Credits", lambda r: _text(r.credits), numeric=True),
                    Column("Payment", _payment),
                    Column("", _actions),
                ],
                item=_order_item,
                table_test_id="orders-table",
                row_test_id="order-row",
            ),
            rx.box(
                empty_state("receipt", "No orders", "This org has never started a top-up.", testid="orders-empty"),
                width="100%",
            ),
        ),
    )


def _ledger() -> rx.Component:
    return section(
        "Ledger",
        responsive_list(
            S.ledger,
            columns=[
                Column("Date (IST)", lambda r: _text(r.date, white_space="nowrap")),
                Column("Type", lambda r: rx.badge(r.type, variant="soft")),
                Column("Description", lambda r: _text(r.description)),
                Column(
                    "Amount", lambda r: _text(r.amount, color_scheme=rx.cond(r.credit, "green", "tomato")), numeric=True
                ),
                Column("Balance", lambda r: _text(r.balance_after), numeric=True),
            ],
            item=lambda r: stacked_item(
                rx.hstack(rx.badge(r.type, variant="soft"), rx.spacer(), _text(r.amount), width="100%"),
                muted(r.description),
                muted(r.date, " · balance ", r.balance_after),
                test_id="ledger-row",
            ),
            table_test_id="ledger-table",
            row_test_id="ledger-row",
        ),
        muted("The newest 20 entries."),
    )


def _members_and_keys() -> rx.Component:
    return rx.grid(
        section(
            "Members",
            rx.foreach(
                S.members,
                lambda m: rx.hstack(
                    rx.vstack(_text(m.name, weight="medium"), muted(m.email), spacing="0", min_width="0"),
                    rx.spacer(),
                    rx.badge(m.role, variant="soft"),
                    width="100%",
                    align="center",
                    data_testid="org-member",
                ),
            ),
        ),
        section(
            "API keys",
            rx.cond(
                S.keys.length() > 0,  # type: ignore[attr-defined]
                rx.foreach(
                    S.keys,
                    lambda k: rx.vstack(
                        rx.hstack(
                            _text(k.name, weight="medium"),
                            rx.code(k.prefix, size="1"),
                            rx.spacer(),
                            rx.badge(
                                k.status, variant="soft", color_scheme=rx.cond(k.status == "active", "green", "gray")
                            ),
                            width="100%",
                            align="center",
                        ),
                        muted("This month ", k.spend, " of budget ", k.budget, " · last used ", k.last_used),
                        spacing="0",
                        width="100%",
                        data_testid="org-key",
                    ),
                ),
                muted("No API keys."),
            ),
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _audit() -> rx.Component:
    return section(
        "Audit trail",
        responsive_list(
            S.audit,
            columns=[
                Column("When (IST)", lambda r: _text(r.time, white_space="nowrap")),
                Column("Who", lambda r: _text(r.who, overflow_wrap="anywhere")),
                Column("What", lambda r: rx.vstack(_text(r.what), muted(r.change), spacing="0")),
            ],
            item=lambda r: stacked_item(
                _text(r.what, weight="medium"), muted(r.change), muted(r.time, " · ", r.who), test_id="audit-row"
            ),
            table_test_id="org-audit",
            row_test_id="audit-row",
        ),
        muted("The newest 20 events."),
    )


def console_org_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_ORGS,
        "Org",
        rx.link("← Back to the search", href=routes.CONSOLE_ORGS, size="2"),
        rx.cond(
            S.loading,
            rx.skeleton(height="16em", width="100%"),
            rx.cond(
                S.missing,
                rx.callout("No such organisation.", icon="search-x", color_scheme="gray", data_testid="org-missing"),
                rx.fragment(
                    notice(S.notice, "org-notice"),
                    _summary(),
                    _orders(),
                    _ledger(),
                    _members_and_keys(),
                    _audit(),
                    refund_dialog(),
                ),
            ),
        ),
    )
