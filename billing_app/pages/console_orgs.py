"""The console's org search (/console/orgs): by name, email, org id, payment id or order id."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.console_frame import console_frame, muted
from billing_app.components.empty_state import empty_state
from billing_app.components.forms import form_error
from billing_app.components.layout import section
from billing_app.components.responsive_list import Column, RowVar, responsive_list, stacked_item
from billing_app.state.console_orgs import ConsoleSearchState


def _name(row: RowVar) -> rx.Component:
    return rx.vstack(
        rx.link(row.name, href=row.href, weight="medium", size="2", data_testid="org-link"),
        muted("#", row.id, " · ", row.owner),
        spacing="0",
    )


def _item(row: RowVar) -> rx.Component:
    return stacked_item(
        rx.hstack(_name(row), rx.spacer(), rx.text(row.balance, size="2", weight="medium"), width="100%"),
        muted("Matched on ", row.matched, " · created ", row.created),
        test_id="org-hit",
    )


def _search_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="q",
                default_value=ConsoleSearchState.q,
                key=ConsoleSearchState.q,
                placeholder="Name, email, org id, pay_… or order_…",
                aria_label="Search orgs",
                size="3",
                flex="1",
                min_width="0",
                data_testid="org-search",
            ),
            rx.button(rx.icon("search", size=16), "Search", type="submit", size="3", data_testid="org-search-go"),
            width="100%",
            spacing="2",
        ),
        on_submit=ConsoleSearchState.search,
        width="100%",
    )


def console_orgs_page() -> rx.Component:
    return console_frame(
        routes.CONSOLE_ORGS,
        "Orgs",
        section(
            "Find an org",
            _search_form(),
            form_error(ConsoleSearchState.error),
            rx.cond(
                ConsoleSearchState.results.length() > 0,  # type: ignore[attr-defined]
                responsive_list(
                    ConsoleSearchState.results,
                    columns=[
                        Column("Org", _name),
                        Column("Matched on", lambda row: rx.text(row.matched, size="2")),
                        Column("Created (IST)", lambda row: rx.text(row.created, size="2", white_space="nowrap")),
                        Column("Balance", lambda row: rx.text(row.balance, size="2"), numeric=True),
                    ],
                    item=_item,
                    table_test_id="org-hits",
                    row_test_id="org-hit",
                ),
                rx.cond(
                    ConsoleSearchState.searched,
                    rx.box(
                        empty_state(
                            "search-x",
                            "No org matches",
                            "Names and emails match in part; ids exactly.",
                            testid="org-search-empty",
                        ),
                        width="100%",
                    ),
                ),
            ),
        ),
    )
