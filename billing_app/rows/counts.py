"""Counts as a person reads them (Indian grouping, as everywhere on the site)."""

from __future__ import annotations

from babel.numbers import format_decimal


def count(n: int) -> str:
    return format_decimal(n, locale="en_IN")


def requests_text(n: int) -> str:
    return f"{count(n)} request" if n == 1 else f"{count(n)} requests"
