"""Activity: the org's audit log (owners and admins), newest first, filtered by what happened
and by IST days, a page at a time, and as CSV.

The CSV is made by the state and handed to the browser (rx.download): the REST export needs
a bearer header, which a plain link cannot send."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.layout import card, page_frame
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.errors import BillingAppError
from billing_app.ist import ist_day
from billing_app.rows.audit import ACTION_GROUPS, AuditLine, audit_line
from billing_app.services import audit
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal

PAGE_SIZE = 50
BAD_RANGE = "Pick the first day on or before the last."


class ActivityState(rx.State):
    rows: list[AuditLine] = []
    group: str = "all"  # a key of ACTION_GROUPS
    start: str = ""  # IST days, YYYY-MM-DD; "" for no bound
    end: str = ""
    next_cursor: str = ""  # "" when the last page is shown
    loading: bool = True
    loading_more: bool = False
    error: str = ""

    def _filters(self) -> dict[str, Any]:
        """What the service filters by; raises ValueError for a range that can't be."""
        first = date.fromisoformat(self.start) if self.start else None
        last = date.fromisoformat(self.end) if self.end else None
        if first and last and first > last:
            raise ValueError(BAD_RANGE)
        actions = ACTION_GROUPS.get(self.group, ACTION_GROUPS["all"])[1]
        return {"any_action": actions, "first_day": first, "last_day": last}

    async def _fetch(self, cursor: str | None) -> list[AuditLine] | None:
        """One page after `cursor`, or None (the error is set, or the role may not see the log)."""
        principal = await current_principal(self, Permission.VIEW_AUDIT)
        if principal is None:
            return None
        try:
            page = await call_service(
                audit.list_events, org_id=principal.org_id, limit=PAGE_SIZE, cursor=cursor, **self._filters()
            )
        except (ValueError, BillingAppError) as exc:
            self.error = getattr(exc, "message", BAD_RANGE)
            return None
        self.error = ""
        self.next_cursor = page.next_cursor or ""
        return [audit_line(row, principal.currency) for row in page.rows]

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        """on_load. Shows the skeleton first: after an org switch (a reload) the rows held are
        the previous org's until the new ones arrive."""
        self.loading = True
        yield
        await self._first_page()

    async def _first_page(self) -> None:
        self.loading = True
        found = await self._fetch(None)
        self.rows = found if found is not None else []
        if found is None:
            self.next_cursor = ""
        self.loading = False

    @rx.event
    async def load_more(self):  # type: ignore[no-untyped-def]
        if not self.next_cursor or self.loading_more:
            return
        self.loading_more = True
        yield
        found = await self._fetch(self.next_cursor)
        if found is not None:
            self.rows = [*self.rows, *found]
        self.loading_more = False

    @rx.event
    async def set_group(self, value: str) -> None:
        self.group = value if value in ACTION_GROUPS else "all"
        await self._first_page()

    @rx.event
    async def set_start(self, value: str) -> None:
        self.start = value
        await self._first_page()

    @rx.event
    async def set_end(self, value: str) -> None:
        self.end = value
        await self._first_page()

    @rx.event
    async def download(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.VIEW_AUDIT)
        if principal is None:
            return
        try:
            text = await call_service(audit.export_csv, org_id=principal.org_id, **self._filters())
        except (ValueError, BillingAppError) as exc:
            yield rx.toast.error(getattr(exc, "message", BAD_RANGE))
            return
        yield rx.download(data=text, filename=f"activity-{ist_day(datetime.now(UTC)).isoformat()}.csv")


def _day(label: str, value: rx.Var | str, on_change: Any) -> rx.Component:
    return rx.input(type="date", value=value, on_change=on_change, aria_label=label)


def _filter_bar() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label="What", data_testid="activity-filter", min_width="11em"),
            rx.select.content(*[rx.select.item(label, value=key) for key, (label, _) in ACTION_GROUPS.items()]),
            value=ActivityState.group,
            on_change=ActivityState.set_group,
        ),
        rx.hstack(
            _day("From (IST)", ActivityState.start, ActivityState.set_start),
            rx.text("to", size="2", color=rx.color("gray", 11)),
            _day("To (IST)", ActivityState.end, ActivityState.set_end),
            align="center",
            spacing="2",
        ),
        rx.spacer(display=["none", "none", "block"]),
        rx.button(
            rx.icon("download", size=16),
            "Download CSV",
            variant="soft",
            on_click=ActivityState.download,
            data_testid="activity-download",
        ),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
    )


def _muted(*children: Any) -> rx.Component:
    return rx.text(*children, size="1", color=rx.color("gray", 11), overflow_wrap="anywhere")


def _what(row: RowVar) -> rx.Component:
    return rx.text(row.what, weight="medium", size="2", title=row.action)


COLUMNS = (
    Column("Time (IST)", lambda row: rx.text(row.time, size="2", white_space="nowrap")),
    Column("Who", lambda row: rx.text(row.who, size="2", overflow_wrap="anywhere")),
    Column("What", _what),
    Column("Subject", lambda row: rx.code(row.subject, size="1", variant="ghost", white_space="nowrap")),
    Column("Before → after", lambda row: _muted(row.change)),
    Column("IP", lambda row: rx.text(row.ip, size="2", white_space="nowrap")),
)


def _item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(
            _what(row),
            rx.spacer(),
            rx.code(row.subject, size="1", variant="ghost", white_space="nowrap"),
            align="start",
            width="100%",
        ),
        rx.cond(row.change != "", rx.text(row.change, size="1", overflow_wrap="anywhere")),
        _muted(row.who),
        _muted(row.time, " · IP ", row.ip),
        test_id="activity-item",
    )


def _list() -> rx.Component:
    return card(
        rx.cond(
            ActivityState.rows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                responsive_list(
                    ActivityState.rows,
                    columns=COLUMNS,
                    item=_item,
                    table_test_id="activity-table",
                    row_test_id="activity-row",
                ),
                rx.cond(
                    ActivityState.next_cursor != "",
                    rx.button(
                        "Load more",
                        variant="soft",
                        on_click=ActivityState.load_more,
                        loading=ActivityState.loading_more,
                        data_testid="activity-more",
                    ),
                ),
                align="center",
                spacing="4",
                width="100%",
            ),
            empty_state(
                "history",
                "No activity to show",
                "Sign-ins, API keys, members, payments and settings changes are recorded here as they happen. ",
                "Try another filter or range of days.",
                testid="activity-empty",
            ),
        )
    )


def activity_page() -> rx.Component:
    return page_frame(
        routes.ACTIVITY,
        "Activity",
        _filter_bar(),
        rx.cond(
            ActivityState.error != "",
            rx.callout(ActivityState.error, icon="triangle-alert", color_scheme="red"),
        ),
        rx.cond(ActivityState.loading, rx.skeleton(height="16em", width="100%"), _list()),
        needs=Permission.VIEW_AUDIT,
    )
