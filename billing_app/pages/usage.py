"""Usage: spend per IST day (chart), per model and per key, over a date range; CSV export.
Everything comes from the daily rollups (services/usage.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date
from typing import Any

import reflex as rx

from billing_app import routes
from billing_app.components.empty_state import empty_state
from billing_app.components.layout import card, page_frame, section, stat_card
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.errors import BillingAppError
from billing_app.money import format_money
from billing_app.rows.counts import count, requests_text
from billing_app.rows.usage import TotalsRow, chart_point, totals_row
from billing_app.services import usage
from billing_app.services.roles import Permission
from billing_app.state.session import SessionState, call_service, current_principal

PRESETS = (("7", "7 days"), ("30", "30 days"), ("90", "90 days"))


class UsageState(rx.State):
    start: str = ""  # IST days, YYYY-MM-DD
    end: str = ""
    preset: str = "30"
    loading: bool = True
    error: str = ""
    spend: str = ""
    requests: str = ""
    tokens: str = ""
    tokens_split: str = ""  # "12,027 in · 3,024 out"
    today_spend: str = ""
    today_requests: str = ""
    has_usage: bool = False
    chart: list[dict[str, Any]] = []  # ChartPoints as Recharts takes them
    model_rows: list[TotalsRow] = []
    key_rows: list[TotalsRow] = []

    async def _refresh(self) -> None:
        principal = await current_principal(self, Permission.VIEW_USAGE)
        if principal is None:
            return
        try:
            start, end = date.fromisoformat(self.start), date.fromisoformat(self.end)
            window = await call_service(usage.window, org_id=principal.org_id, start=start, end=end)
            days = await call_service(usage.daily, org_id=principal.org_id, start=start, end=end)
            today = usage.today()
            now = await call_service(usage.window, org_id=principal.org_id, start=today, end=today)
        except (ValueError, BillingAppError) as exc:
            self.error = getattr(exc, "message", "Pick a valid date range.")
            self.loading = False
            return
        currency = principal.currency
        self.error = ""
        self.spend = format_money(window.totals.cost_micros, currency)
        self.requests = count(window.totals.requests)
        self.tokens = count(window.totals.prompt_tokens + window.totals.completion_tokens)
        self.tokens_split = f"{count(window.totals.prompt_tokens)} in · {count(window.totals.completion_tokens)} out"
        self.today_spend = format_money(now.totals.cost_micros, currency)
        self.today_requests = requests_text(now.totals.requests)
        self.has_usage = window.totals.requests > 0
        self.chart = [asdict(chart_point(d)) for d in days]
        self.model_rows = [totals_row(m.model, m.totals, currency) for m in window.by_model]
        self.key_rows = [
            totals_row(k.name, k.totals, currency, prefix=f"{k.prefix}…", revoked=k.revoked) for k in window.by_key
        ]
        self.loading = False

    def _use_preset(self, days: str) -> None:
        start, end = usage.last_days(int(days))
        self.preset, self.start, self.end = days, start.isoformat(), end.isoformat()

    @rx.event
    async def load(self) -> None:
        self.loading = True
        self._use_preset(self.preset if self.preset in dict(PRESETS) else "30")
        await self._refresh()

    @rx.event
    async def pick_preset(self, days: str | list[str]) -> None:
        if isinstance(days, str) and days in dict(PRESETS):
            self._use_preset(days)
            await self._refresh()

    @rx.event
    async def set_start(self, value: str) -> None:
        self.start, self.preset = value, ""
        await self._refresh()

    @rx.event
    async def set_end(self, value: str) -> None:
        self.end, self.preset = value, ""
        await self._refresh()

    @rx.event
    async def export(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.VIEW_USAGE)
        if principal is None:
            return
        try:
            start, end = date.fromisoformat(self.start), date.fromisoformat(self.end)
            text = await call_service(
                usage.export_csv, org_id=principal.org_id, start=start, end=end, currency=principal.currency
            )
        except (ValueError, BillingAppError) as exc:
            yield rx.toast.error(getattr(exc, "message", "Pick a valid date range."))
            return
        yield rx.download(data=text, filename=f"usage-{self.start}-to-{self.end}.csv")


def _range_bar() -> rx.Component:
    return rx.flex(
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=value) for value, label in PRESETS],
            value=UsageState.preset,
            on_change=UsageState.pick_preset,
        ),
        rx.hstack(
            rx.input(type="date", value=UsageState.start, on_change=UsageState.set_start, aria_label="From (IST)"),
            rx.text("to", size="2", color=rx.color("gray", 11)),
            rx.input(type="date", value=UsageState.end, on_change=UsageState.set_end, aria_label="To (IST)"),
            align="center",
            spacing="2",
        ),
        rx.spacer(display=["none", "none", "block"]),
        rx.button(rx.icon("download", size=16), "Export CSV", variant="soft", on_click=UsageState.export),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
    )


def _chart() -> rx.Component:
    return section(
        f"Daily spend ({SessionState.currency_symbol}, IST days)",
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="day", font_size=12),
                rx.recharts.y_axis(font_size=12, width=48),
                rx.recharts.graphing_tooltip(),
                # Drawn at once: a bar growing into place shows a wrong amount for a moment
                # (a screenshot at 390 px caught a ₹7.59 bar at ~₹1.6).
                rx.recharts.bar(
                    data_key="spend",
                    name=f"Spend ({SessionState.currency_symbol})",
                    fill=rx.color("indigo", 9),
                    radius=3,
                    is_animation_active=False,
                ),
                data=UsageState.chart,
                height=260,
            ),
            width="100%",
            data_testid="usage-chart",
        ),
    )


def _name(row: RowVar) -> rx.Component:
    return rx.vstack(
        rx.text(row.label, weight="medium"),
        rx.cond(row.prefix != "", rx.code(row.prefix, size="1")),
        spacing="0",
    )


COLUMNS = (
    Column("", _name),  # "Model" or "Key": see _table
    Column("Requests", lambda row: row.requests, numeric=True),
    Column("Input tokens", lambda row: row.prompt, numeric=True),
    Column("Output tokens", lambda row: row.completion, numeric=True),
    Column("Cost", lambda row: rx.text(row.cost, weight="medium"), numeric=True),
)


def _item(test_id: str) -> Callable[[RowVar], rx.Component]:
    def item(row: RowVar) -> rx.Component:
        return stacked_item(
            rx.hstack(_name(row), rx.spacer(), rx.text(row.cost, weight="bold"), width="100%", align="start"),
            rx.text(
                "Requests ",
                row.requests,
                " · tokens in ",
                row.prompt,
                ", out ",
                row.completion,
                size="1",
                color=rx.color("gray", 11),
            ),
            test_id=f"{test_id}-item",
        )

    return item


def _table(title: str, first: str, rows: rx.Var | list[TotalsRow], test_id: str) -> rx.Component:
    columns = (replace(COLUMNS[0], header=first), *COLUMNS[1:])
    return section(
        title,
        responsive_list(
            rows, columns=columns, item=_item(test_id), table_test_id=test_id, row_test_id=f"{test_id}-row"
        ),
    )


def _empty() -> rx.Component:
    return card(
        empty_state(
            "chart-column",
            "No usage in this range",
            "Requests made with your ",
            rx.link("API keys", href=routes.KEYS),
            " appear here as soon as they are billed.",
            testid="usage-empty",
        )
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.grid(
            stat_card("Spend", UsageState.spend, "selected range", "usage-spend"),
            stat_card("Requests", UsageState.requests, "selected range", "usage-requests"),
            stat_card("Tokens", UsageState.tokens, UsageState.tokens_split),
            stat_card("Today (IST)", UsageState.today_spend, UsageState.today_requests),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            UsageState.has_usage,
            rx.vstack(
                _chart(),
                rx.grid(
                    _table("By model", "Model", UsageState.model_rows, "usage-models"),
                    _table("By key", "Key", UsageState.key_rows, "usage-keys"),
                    columns="1",
                    spacing="4",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            _empty(),
        ),
        spacing="4",
        width="100%",
    )


def usage_page() -> rx.Component:
    return page_frame(
        routes.USAGE,
        "Usage",
        _range_bar(),
        rx.cond(UsageState.error != "", rx.callout(UsageState.error, icon="triangle-alert", color_scheme="red")),
        rx.cond(
            UsageState.loading,
            rx.vstack(rx.skeleton(height="6em"), rx.skeleton(height="16em"), width="100%", spacing="4"),
            _content(),
        ),
        needs=Permission.VIEW_USAGE,
    )
