"""A list that is a table on a wide screen and stacked rows on a phone. Every list on the
site switches at the same width (WIDE_FROM)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

WIDE_FROM = "md"  # Radix's 768 px: narrower screens get the stacked rows
_NARROW_ONLY = rx.breakpoints(initial="block", md="none")
_WIDE_ONLY = rx.breakpoints(initial="none", md="block")

RowVar = ObjectVar  # one row (a frozen dataclass from billing_app/rows) inside rx.foreach
# A row's field (row.amount) is typed by Reflex as an "item operation", not a Var: hence Any.
Render = Callable[[RowVar], rx.Component | Any]


@dataclass(frozen=True)
class Column:
    header: str
    cell: Render
    numeric: bool = False  # right-aligned and never wrapped (amounts, counts)


def _cell(column: Column, row: RowVar) -> rx.Component:
    if column.numeric:
        return rx.table.cell(column.cell(row), text_align="right", white_space="nowrap")
    return rx.table.cell(column.cell(row))


def stacked_item(*children: rx.Component, dimmed: Any = False, test_id: str) -> rx.Component:
    """One row on a phone: its parts stacked, a hairline under it."""
    return rx.box(
        *children,
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        opacity=rx.cond(dimmed, "0.6", "1"),
        width="100%",
        data_testid=test_id,
    )


def responsive_list(
    rows: rx.Var | Sequence[object],
    *,
    columns: Sequence[Column],
    item: Callable[[RowVar], rx.Component],
    table_test_id: str,
    row_test_id: str,
    dimmed: Callable[[RowVar], Any] | None = None,
) -> rx.Component:
    """`rows` as a table (one `columns` cell each) from WIDE_FROM up, and as `item`s below it
    (build those with `stacked_item`)."""

    def table_row(row: RowVar) -> rx.Component:
        return rx.table.row(
            *[_cell(column, row) for column in columns],
            opacity=rx.cond(dimmed(row), "0.6", "1") if dimmed else "1",
            data_testid=row_test_id,
        )

    headers = [rx.table.column_header_cell(c.header, text_align="right" if c.numeric else "left") for c in columns]
    return rx.box(
        rx.box(rx.foreach(rows, item), display=_NARROW_ONLY),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*headers)),
                rx.table.body(rx.foreach(rows, table_row)),
                width="100%",
                variant="surface",
                data_testid=table_test_id,
            ),
            display=_WIDE_ONLY,
        ),
        width="100%",
    )
