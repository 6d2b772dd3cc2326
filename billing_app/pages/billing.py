"""Billing: the balance card and the money-event history."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.layout import card, page_frame
from billing_app.ist import display_ist
from billing_app.models import LedgerEntry
from billing_app.money import format_money
from billing_app.pages.billing_address import address_summary_card
from billing_app.pages.topup import topup_panel
from billing_app.services import ledger, usage
from billing_app.state.session import SessionState, call_service, current_principal

ENTRY_LABELS = {
    "signup_credit": "Signup credit",
    "checkout": "Top-up",
    "promo": "Promo bonus",
    "manual": "Adjustment",
    "refund": "Refund",
    "deduction": "Usage",
}
PAGE_SIZE = 20


def _signed(micros: int, currency: str) -> str:
    text = format_money(abs(micros), currency)
    return f"+{text}" if micros >= 0 else f"−{text}"


def history_row(entry: LedgerEntry, currency: str) -> dict[str, str]:
    return {
        "id": str(entry.id),
        "date": display_ist(entry.created_at),
        "type": ENTRY_LABELS.get(entry.kind, entry.kind),
        "kind": entry.kind,
        "amount": _signed(entry.amount_micros, currency),
        "credit": "1" if entry.amount_micros >= 0 else "",
        "description": entry.description,
        "balance_after": format_money(entry.balance_after_micros, currency),
        "payment_id": entry.payment_id or "",
        "receipt": routes.receipt_url(entry.payment_id) if entry.payment_id and entry.kind == "checkout" else "",
    }


def deduction_row(day: usage.Deduction, currency: str) -> dict[str, str]:
    """A day of API usage, shown beside the money events when "Show daily usage" is on."""
    return {
        **dict.fromkeys(("id", "payment_id", "credit", "receipt"), ""),
        "date": f"{day.day:%d %b %Y}, whole day IST",
        "type": ENTRY_LABELS["deduction"],
        "kind": "deduction",
        "amount": _signed(-day.cost_micros, currency),
        "description": day.description,
        "balance_after": "—",
    }


class BillingState(rx.State):
    rows: list[dict[str, str]] = []
    # Keyset pagination: the cursor that produced each page seen so far ("" = newest).
    page_cursors: list[str] = []
    next_cursor: str = ""
    loading: bool = True
    show_usage: bool = False  # add one `deduction` row per IST day of usage

    @rx.var
    def page_number(self) -> int:
        return len(self.page_cursors)

    async def _load(self, cursor: str) -> bool:
        principal = await current_principal(self)
        if principal is None:
            return False
        page = await call_service(ledger.list_entries, org_id=principal.org_id, limit=PAGE_SIZE, cursor=cursor or None)
        if self.show_usage:
            items = await call_service(usage.with_daily_deductions, org_id=principal.org_id, page=page, cursor=cursor)
            self.rows = [
                history_row(i, principal.currency)
                if isinstance(i, LedgerEntry)
                else deduction_row(i, principal.currency)
                for i in items
            ]
        else:
            self.rows = [history_row(entry, principal.currency) for entry in page.entries]
        self.next_cursor = page.next_cursor or ""
        return True

    @rx.event
    async def load(self) -> None:
        self.loading = True
        if await self._load(""):
            self.page_cursors = [""]
        self.loading = False

    @rx.event
    async def toggle_usage(self, value: bool) -> None:
        self.show_usage = value
        await self._load(self.page_cursors[-1] if self.page_cursors else "")

    @rx.event
    async def older(self) -> None:
        if self.next_cursor and await self._load(self.next_cursor):
            self.page_cursors = [*self.page_cursors, self.next_cursor]

    @rx.event
    async def newer(self) -> None:
        if len(self.page_cursors) > 1 and await self._load(self.page_cursors[-2]):
            self.page_cursors = self.page_cursors[:-1]


def balance_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.vstack(
                rx.text("Available balance", size="2", color=rx.color("gray", 11)),
                rx.text(SessionState.balance_display, size="8", weight="bold", data_testid="balance-card-amount"),
                rx.text(SessionState.org_name, size="2", color=rx.color("gray", 11)),
                spacing="1",
            ),
            rx.spacer(),
            align="center",
            width="100%",
            wrap="wrap",
            spacing="4",
        )
    )


def _amount_cell(row: rx.Var) -> rx.Component:
    return rx.table.cell(
        rx.text(
            row["amount"],
            color=rx.cond(row["credit"] == "1", rx.color("grass", 11), rx.color("tomato", 11)),
            weight="medium",
        ),
        white_space="nowrap",
        text_align="right",
    )


def _receipt_link(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["receipt"] != "",
        rx.link(
            rx.icon("receipt", size=13),
            " Receipt",
            href=row["receipt"],
            size="1",
            margin_left="0.5em",
            white_space="nowrap",
            data_testid="receipt-link",
        ),
    )


def _history_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["date"], white_space="nowrap"),
        rx.table.cell(rx.badge(row["type"], variant="soft", color_scheme="gray")),
        _amount_cell(row),
        rx.table.cell(row["description"], _receipt_link(row)),
        rx.table.cell(row["balance_after"], white_space="nowrap", text_align="right"),
        data_testid="history-row",
    )


def _history_item(row: rx.Var) -> rx.Component:
    """The same row as a stacked item, for narrow screens."""
    return rx.box(
        rx.hstack(
            rx.badge(row["type"], variant="soft", color_scheme="gray"),
            rx.spacer(),
            rx.text(
                row["amount"],
                weight="bold",
                color=rx.cond(row["credit"] == "1", rx.color("grass", 11), rx.color("tomato", 11)),
            ),
            width="100%",
            align="center",
        ),
        rx.text(row["description"], _receipt_link(row), size="2", margin_top="0.25em"),
        rx.hstack(
            rx.text(row["date"], size="1", color=rx.color("gray", 11)),
            rx.spacer(),
            rx.text("Balance ", row["balance_after"], size="1", color=rx.color("gray", 11)),
            width="100%",
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        data_testid="history-item",
    )


def _empty_history() -> rx.Component:
    return empty_state(
        "receipt", "No transactions yet", "Top-ups, bonuses and refunds will appear here.", testid="history-empty"
    )


def history_table() -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.heading("Transaction history", size="4"),
                rx.spacer(),
                rx.el.label(
                    rx.switch(
                        checked=BillingState.show_usage,
                        on_change=BillingState.toggle_usage,
                        data_testid="show-daily-usage",
                    ),
                    rx.text("Show daily usage", size="2"),
                    display="flex",
                    gap="0.5em",
                    align_items="center",
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                BillingState.loading,
                rx.vstack(
                    rx.skeleton(height="2em"), rx.skeleton(height="2em"), rx.skeleton(height="2em"), width="100%"
                ),
                rx.cond(
                    BillingState.rows.length() > 0,  # type: ignore[attr-defined]
                    rx.box(
                        rx.box(rx.foreach(BillingState.rows, _history_item), display=["block", "block", "none"]),
                        rx.box(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell("Date (IST)"),
                                        rx.table.column_header_cell("Type"),
                                        rx.table.column_header_cell("Amount", text_align="right"),
                                        rx.table.column_header_cell("Description"),
                                        rx.table.column_header_cell("Balance after", text_align="right"),
                                    )
                                ),
                                rx.table.body(rx.foreach(BillingState.rows, _history_row)),
                                width="100%",
                                variant="surface",
                                data_testid="history-table",
                            ),
                            display=["none", "none", "block"],
                        ),
                        width="100%",
                    ),
                    _empty_history(),
                ),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("chevron-left", size=14),
                    "Newer",
                    variant="soft",
                    on_click=BillingState.newer,
                    disabled=BillingState.page_number <= 1,
                ),
                rx.text("Page ", BillingState.page_number, size="2", color=rx.color("gray", 11)),
                rx.button(
                    "Older",
                    rx.icon("chevron-right", size=14),
                    variant="soft",
                    on_click=BillingState.older,
                    disabled=BillingState.next_cursor == "",
                ),
                justify="end",
                align="center",
                width="100%",
            ),
            spacing="4",
            width="100%",
        )
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
    )
