"""The Billing page's transaction history: a page of the ledger at a time, optionally with
a line per IST day of usage (services/history.py, as GET /me/billing?include_usage=daily).
Its own module because the top-up panel reloads it once credits arrive."""

from __future__ import annotations

import reflex as rx

from billing_app.rows.history import HistoryRow, history_rows, refund_ids, topup_payment_ids
from billing_app.services import gst_invoices, history
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal

PAGE_SIZE = 20


class HistoryState(rx.State):
    rows: list[HistoryRow] = []
    # Keyset pagination: the cursor that produced each page seen so far ("" = newest).
    page_cursors: list[str] = []
    next_cursor: str = ""
    loading: bool = True
    show_usage: bool = False  # add one `deduction` row per IST day of usage

    @rx.var
    def page_number(self) -> int:
        return len(self.page_cursors)

    async def _load(self, cursor: str) -> bool:
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return False
        page = await call_service(
            history.history_page,
            org_id=principal.org_id,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            daily_usage=self.show_usage,
        )
        invoices = await call_service(
            gst_invoices.invoice_serials_for_payments,
            org_id=principal.org_id,
            payment_ids=topup_payment_ids(page.items),
        )
        credit_notes = await call_service(
            gst_invoices.credit_note_serials_for_refunds,
            org_id=principal.org_id,
            refund_ids=refund_ids(page.items),
        )
        self.rows = history_rows(page.items, principal.currency, invoices, credit_notes)
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
