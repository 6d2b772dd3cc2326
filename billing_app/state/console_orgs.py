"""The console's org search and an org's page (reading only; the money actions are in
state/console_money.py)."""

from __future__ import annotations

from dataclasses import replace

import reflex as rx

from billing_app.errors import BillingAppError
from billing_app.ist import display_ist
from billing_app.money import format_money, format_paise
from billing_app.rows.audit import AuditLine, audit_line
from billing_app.rows.console import (
    KeyLine,
    OrderLine,
    OrgHitLine,
    PersonLine,
    key_line,
    order_line,
    org_hit_line,
    person_line,
)
from billing_app.rows.history import HistoryRow, entry_row
from billing_app.services.console import orgs
from billing_app.state.session import call_service, current_staff


class ConsoleSearchState(rx.State):
    """Search by name, email, org id, payment id or order id. A link may carry the query
    (`?q=`, routes.console_search_url): the page runs it on load."""

    q: str = ""
    results: list[OrgHitLine] = []
    searched: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> None:
        self.q = str(self.router.url.query_parameters.get("q", "") or "")
        self.results, self.searched, self.error = [], False, ""
        if self.q.strip():
            await self._search()

    async def _search(self) -> None:
        if await current_staff(self) is None:
            return
        try:
            hits = await call_service(orgs.search, q=self.q)
        except BillingAppError as exc:
            self.error, self.results = exc.message, []
            return
        self.results = [org_hit_line(hit) for hit in hits]
        self.searched, self.error = True, ""

    @rx.event
    async def search(self, form: dict[str, str]) -> None:
        self.q = form.get("q", "").strip()
        await self._search()


class ConsoleOrgState(rx.State):
    """Everything on an org's page, and Razorpay's live view of one payment on request."""

    org_id: int = 0
    name: str = ""
    currency: str = "INR"
    balance: str = ""
    created: str = ""
    alert: str = ""
    usage_today: str = ""
    usage_30_days: str = ""
    members: list[PersonLine] = []
    ledger: list[HistoryRow] = []
    orders: list[OrderLine] = []
    keys: list[KeyLine] = []
    audit: list[AuditLine] = []
    loading: bool = True
    missing: bool = False
    live_error: str = ""
    notice: str = ""  # what the last refund or manual entry did (state/console_money.py)

    @rx.event
    async def load(self) -> None:
        self.loading, self.missing, self.live_error, self.notice = True, False, "", ""
        raw = str(self.router.page.params.get("org_id", ""))
        self.org_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0
        await self.reload()
        self.loading = False

    async def reload(self) -> None:
        if await current_staff(self) is None:
            return
        try:
            page = await call_service(orgs.org_page, org_id=self.org_id)
        except BillingAppError:
            self.missing = True
            return
        currency = page.currency
        self.name, self.currency = page.name, currency
        self.balance = format_money(page.balance_micros, currency)
        self.created = display_ist(page.created_at)
        threshold = page.alerts.threshold_micros
        self.alert = (
            "off"
            if threshold is None
            else f"below {format_money(threshold, currency)}, to {page.alerts.recipient or 'no owner'}"
            + (" (below now)" if page.alerts.below else "")
        )
        today, month = page.usage.today.totals, page.usage.last_30_days.totals
        self.usage_today = f"{today.requests:,} requests, {format_money(today.cost_micros, currency)}"
        self.usage_30_days = f"{month.requests:,} requests, {format_money(month.cost_micros, currency)}"
        self.members = [person_line(m) for m in page.members.members]
        self.ledger = [entry_row(e, currency) for e in page.ledger.entries]
        self.orders = [order_line(o, currency) for o in page.orders.orders]
        self.keys = [key_line(k, currency) for k in page.keys]
        self.audit = [audit_line(r, currency) for r in page.audit.rows]

    @rx.event
    async def check_payment(self, payment_id: str) -> None:
        """Ask Razorpay about the payment now (never cached)."""
        if await current_staff(self) is None:
            return
        self.live_error = ""
        try:
            live = await call_service(orgs.live_payment, org_id=self.org_id, payment_id=payment_id)
        except BillingAppError as exc:
            self.live_error = f"{payment_id}: {exc.message}"
            return
        refunded = f", {format_paise(live.amount_refunded_paise)} refunded" if live.amount_refunded_paise else ""
        error = f" ({live.error})" if live.error else ""
        said = f"Razorpay: {live.status}, {format_paise(live.amount_paise)}{refunded}{error}"
        self.orders = [replace(o, live=said) if o.payment_id == payment_id else o for o in self.orders]
