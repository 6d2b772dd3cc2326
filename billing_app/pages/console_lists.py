"""The list behind an overview figure (/console/lists/[key]): the rows that make the number,
each naming its org with a link to the org's page; "Load more" for the next page."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted
from billing_app.components.empty_state import empty_state
from billing_app.components.responsive_list import Column, Render, RowVar, responsive_list, stacked_item
from billing_app.services.console import overview
from billing_app.state.console_lists import ConsoleListState as S


def _text(value: object, **props: object) -> rx.Component:
    return rx.text(value, size="2", **props)


def _org(row: RowVar) -> rx.Component:
    return rx.link(row.org, href=row.org_href, size="2", weight="medium", data_testid="list-org")


def _when(field: str) -> Render:
    return lambda row: _text(getattr(row, field), white_space="nowrap")


def _list(rows: rx.Var | Sequence[object], columns: list[Column], item: Render) -> rx.Component:
    return responsive_list(
        rows,
        columns=columns,
        item=lambda row: stacked_item(item(row), test_id="list-row"),
        table_test_id="list-table",
        row_test_id="list-row",
    )


def _line(*children: object) -> rx.Component:
    return rx.hstack(*children, width="100%", align="center")


_LISTS = (
    (
        overview.ORGS_IN_CREDIT,
        S.orgs_in_credit,
        [
            Column("Org", _org),
            Column("Owner", lambda r: _text(r.owner, overflow_wrap="anywhere")),
            Column("Balance", lambda r: _text(r.balance), numeric=True),
        ],
        lambda r: rx.vstack(_line(_org(r), rx.spacer(), _text(r.balance, weight="medium")), muted(r.owner)),
    ),
    (
        overview.TOPUPS,
        S.topups,
        [
            Column("Captured (IST)", _when("captured")),
            Column("Org", _org),
            Column("Payment", lambda r: _text(r.payment_id, font_family="monospace")),
            Column("Method", lambda r: _text(r.method)),
            Column("Amount", lambda r: _text(r.amount), numeric=True),
        ],
        lambda r: rx.vstack(
            _line(_org(r), rx.spacer(), _text(r.amount, weight="medium")),
            muted(r.payment_id, " · ", r.method, " · ", r.captured),
        ),
    ),
    (
        overview.REFUNDS,
        S.refunds,
        [
            Column("When (IST)", _when("when")),
            Column("Org", _org),
            Column("Payment", lambda r: _text(r.payment_id, font_family="monospace")),
            Column("Credits taken back", lambda r: _text(r.amount), numeric=True),
        ],
        lambda r: rx.vstack(
            _line(_org(r), rx.spacer(), _text(r.amount, weight="medium")), muted(r.payment_id, " · ", r.when)
        ),
    ),
    (
        overview.ACTIVE_ORGS,
        S.active_orgs,
        [
            Column("Org", _org),
            Column("Last usage (IST day)", _when("last_usage")),
            Column("Last top-up (IST)", _when("last_topup")),
        ],
        lambda r: rx.vstack(_org(r), muted("Last usage ", r.last_usage, " · last top-up ", r.last_topup)),
    ),
    (
        overview.OUTBOX_BACKLOG,
        S.backlog,
        [
            Column("Kind", lambda r: _text(r.kind)),
            Column("To", lambda r: _text(r.recipient, overflow_wrap="anywhere")),
            Column("Org", _org),
            Column("Attempts", lambda r: _text(r.attempts), numeric=True),
            Column("Next attempt (IST)", _when("next_attempt")),
            Column("Last error", lambda r: muted(r.last_error)),
        ],
        lambda r: rx.vstack(
            _line(_text(r.kind, weight="medium"), rx.spacer(), muted(r.attempts, " attempts")),
            muted("To ", r.recipient, " · ", _org(r)),
            muted("Next attempt ", r.next_attempt),
            muted(r.last_error),
        ),
    ),
)


def _rows() -> rx.Component:
    return rx.match(
        S.key,
        *[(key, _list(rows, columns, item)) for key, rows, columns, item in _LISTS],
        rx.fragment(),
    )


def _body() -> rx.Component:
    return rx.vstack(
        rx.heading(S.title, size="4", data_testid="list-title"),
        muted(S.explained),
        rx.cond(
            S.shown > 0,
            _rows(),
            rx.box(
                empty_state("inbox", "Nothing here", "No rows match this figure now.", testid="list-empty"),
                width="100%",
            ),
        ),
        rx.cond(
            S.next_cursor != "",
            rx.button("Load more", on_click=S.load_more, variant="soft", data_testid="list-more"),
        ),
        spacing="3",
        width="100%",
    )


def console_list_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE,
        "Overview",
        rx.link("← Back to the overview", href=routes.CONSOLE, size="2"),
        rx.cond(
            S.loading,
            rx.skeleton(height="12em", width="100%"),
            rx.cond(
                S.missing,
                rx.callout(S.error, icon="search-x", color_scheme="gray", data_testid="list-missing"),
                _body(),
            ),
        ),
    )
