"""The list behind an overview figure (/console/lists/[key]?window=…), a page at a time.
One list of lines per kind of list: the page shows the one its key names."""

from __future__ import annotations

import reflex as rx

from billing_app.errors import BillingAppError
from billing_app.rows.figure_lists import (
    EXPLAINED,
    ActiveOrgLine,
    BacklogLine,
    OrgCreditLine,
    RefundLine,
    TopupLine,
    list_line,
    list_title,
)
from billing_app.services.console import lists
from billing_app.state.session import call_service, current_staff


class ConsoleListState(rx.State):
    key: str = ""
    window: str = ""
    title: str = ""
    explained: str = ""
    orgs_in_credit: list[OrgCreditLine] = []
    topups: list[TopupLine] = []
    refunds: list[RefundLine] = []
    active_orgs: list[ActiveOrgLine] = []
    backlog: list[BacklogLine] = []
    shown: int = 0
    next_cursor: str = ""
    loading: bool = True
    missing: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> None:
        self.loading, self.missing, self.error = True, False, ""
        self.key = str(self.router.page.params.get("key", "") or "")
        self.window = str(self.router.url.query_parameters.get("window", "") or "")
        self.orgs_in_credit, self.topups, self.refunds, self.active_orgs, self.backlog = [], [], [], [], []
        self.shown, self.next_cursor = 0, ""
        await self._more()
        self.loading = False

    @rx.event
    async def load_more(self) -> None:
        if self.next_cursor:
            await self._more()

    async def _more(self) -> None:
        if await current_staff(self) is None:
            return
        try:
            page = await call_service(
                lists.list_page, key=self.key, window=self.window or None, cursor=self.next_cursor or None
            )
        except BillingAppError as exc:
            self.missing, self.error = True, exc.message
            return
        self.title = list_title(page.key, page.window)
        self.explained = EXPLAINED.get(page.key, "")
        for line in (list_line(row) for row in page.rows):
            if isinstance(line, OrgCreditLine):
                self.orgs_in_credit.append(line)
            elif isinstance(line, TopupLine):
                self.topups.append(line)
            elif isinstance(line, RefundLine):
                self.refunds.append(line)
            elif isinstance(line, ActiveOrgLine):
                self.active_orgs.append(line)
            else:
                self.backlog.append(line)
        self.shown += len(page.rows)
        self.next_cursor = page.next_cursor or ""
