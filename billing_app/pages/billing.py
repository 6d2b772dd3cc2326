"""Billing: the balance, the billing address, the top-up panel and the money-event history."""

from __future__ import annotations

from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.address_card import address_summary_card
from billing_app.components.balance_card import balance_card
from billing_app.components.empty_state import empty_state
from billing_app.components.layout import page_frame, section
from billing_app.components.links import icon_link
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.components.topup_panel import topup_panel
from billing_app.services.roles import Permission
from billing_app.state.gst_documents import DocumentsState
from billing_app.state.history import HistoryState


def _amount(row: RowVar, **props: object) -> rx.Component:
    return rx.text(row.amount, color=rx.cond(row.credit, rx.color("grass", 11), rx.color("tomato", 11)), **props)


def _type(row: RowVar) -> rx.Component:
    return rx.badge(row.type, variant="soft", color_scheme="gray")


def _receipt_link(row: RowVar) -> rx.Component:
    return rx.cond(
        row.receipt_url != "",
        icon_link(
            "receipt",
            row.receipt_label,  # type: ignore[arg-type]  # a row's field: text in the browser
            row.receipt_url,
            icon_size=13,
            size="1",
            margin_left="0.5em",
            data_testid="receipt-link",
        ),
    )


COLUMNS = (
    Column("Date (IST)", lambda row: rx.text(row.date, white_space="nowrap")),
    Column("Type", _type),
    Column("Amount", lambda row: _amount(row, weight="medium"), numeric=True),
    Column("Description", lambda row: rx.fragment(row.description, _receipt_link(row))),
    Column("Balance after", lambda row: row.balance_after, numeric=True),
)


def _history_item(row: RowVar) -> rx.Component:
    muted = rx.color("gray", 11)
    return stacked_item(
        rx.hstack(_type(row), rx.spacer(), _amount(row, weight="bold"), width="100%", align="center"),
        rx.text(row.description, _receipt_link(row), size="2", margin_top="0.25em"),
        rx.hstack(
            rx.text(row.date, size="1", color=muted),
            rx.spacer(),
            rx.text("Balance ", row.balance_after, size="1", color=muted),
            width="100%",
        ),
        test_id="history-item",
    )


def _usage_switch() -> rx.Component:
    return rx.el.label(
        rx.switch(checked=HistoryState.show_usage, on_change=HistoryState.toggle_usage, data_testid="show-daily-usage"),
        rx.text("Show daily usage", size="2"),
        display="flex",
        gap="0.5em",
        align_items="center",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=14),
            "Newer",
            variant="soft",
            on_click=HistoryState.newer,
            disabled=HistoryState.page_number <= 1,
        ),
        rx.text("Page ", HistoryState.page_number, size="2", color=rx.color("gray", 11)),
        rx.button(
            "Older",
            rx.icon("chevron-right", size=14),
            variant="soft",
            on_click=HistoryState.older,
            disabled=HistoryState.next_cursor == "",
        ),
        justify="end",
        align="center",
        width="100%",
    )


def history_table() -> rx.Component:
    return section(
        rx.hstack(
            rx.heading("Transaction history", size="4"),
            rx.spacer(),
            _usage_switch(),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            HistoryState.loading,
            rx.vstack(*[rx.skeleton(height="2em") for _ in range(3)], width="100%"),
            rx.cond(
                HistoryState.rows.length() > 0,  # type: ignore[attr-defined]
                responsive_list(
                    HistoryState.rows,
                    columns=COLUMNS,
                    item=_history_item,
                    table_test_id="history-table",
                    row_test_id="history-row",
                ),
                empty_state(
                    "receipt",
                    "No transactions yet",
                    "Top-ups, bonuses and refunds will appear here.",
                    testid="history-empty",
                ),
            ),
        ),
        _pager(),
        spacing="4",
    )


def _serial_link(row: RowVar) -> rx.Component:
    return rx.link(row.serial, href=row.url, weight="medium", white_space="nowrap", data_testid="document-link")


def _pdf_button(row: RowVar, kind: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=13),
        "PDF",
        variant="ghost",
        size="1",
        on_click=DocumentsState.download(row.serial, kind),  # type: ignore[operator]
        data_testid="document-pdf",
    )


def _against(row: RowVar) -> rx.Component:
    return rx.link(row.against, href=row.against_url, white_space="nowrap")


def _document_columns(kind: str) -> tuple[Column, ...]:
    against = (Column("Against invoice", _against),) if kind == "credit_note" else ()
    return (
        Column("Number", _serial_link),
        Column("Date (IST)", lambda row: rx.text(row.date, white_space="nowrap")),
        *against,
        Column("Taxable value", lambda row: row.taxable, numeric=True),
        Column("GST", lambda row: row.tax, numeric=True),
        Column("Total", lambda row: rx.text(row.total, weight="medium"), numeric=True),
        Column("", lambda row: _pdf_button(row, kind), numeric=True),
    )


def _document_item(kind: str):  # type: ignore[no-untyped-def]
    def item(row: RowVar) -> rx.Component:
        muted = rx.color("gray", 11)
        return stacked_item(
            rx.hstack(_serial_link(row), rx.spacer(), rx.text(row.total, weight="bold"), width="100%", align="center"),
            rx.text(
                "Taxable ",
                row.taxable,
                " · GST ",
                row.tax,
                *((" · against ", _against(row)) if kind == "credit_note" else ()),
                size="2",
                margin_top="0.25em",
            ),
            rx.hstack(rx.text(row.date, size="1", color=muted), rx.spacer(), _pdf_button(row, kind), width="100%"),
            test_id="document-item",
        )

    return item


def _document_list(rows: rx.Var | list[Any], kind: str, test_id: str) -> rx.Component:
    return responsive_list(
        rows,
        columns=_document_columns(kind),
        item=_document_item(kind),
        table_test_id=f"{test_id}-table",
        row_test_id=f"{test_id}-row",
    )


def documents_section() -> rx.Component:
    """Tax invoices and credit notes (with SELLER_GSTIN set, or once any was issued)."""
    return rx.cond(
        DocumentsState.shown,
        section(
            rx.heading("Tax invoices", size="4"),
            rx.cond(
                DocumentsState.invoices.length() > 0,  # type: ignore[attr-defined]
                _document_list(DocumentsState.invoices, "invoice", "invoices"),
                empty_state(
                    "file-text",
                    "No tax invoices yet",
                    "Each top-up gets a GST tax invoice here once it is paid.",
                    testid="invoices-empty",
                ),
            ),
            rx.cond(
                DocumentsState.credit_notes.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.heading("Credit notes", size="3"),
                    rx.text(
                        "Issued for refunds, against the invoice they correct.", size="2", color=rx.color("gray", 11)
                    ),
                    _document_list(DocumentsState.credit_notes, "credit_note", "credit-notes"),
                    spacing="2",
                    width="100%",
                    margin_top="0.75em",
                ),
            ),
            spacing="4",
        ),
    )


def billing_page() -> rx.Component:
    return page_frame(
        routes.BILLING,
        "Billing",
        rx.grid(
            rx.vstack(balance_card(), address_summary_card(), spacing="4", width="100%"),
            topup_panel(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        history_table(),
        documents_section(),
        needs=Permission.PAY,
    )
