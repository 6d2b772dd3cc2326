"""A link led by an icon."""

from __future__ import annotations

from typing import Any

import reflex as rx


def icon_link(icon: str, text: str, href: Any, *, icon_size: int = 14, **props: object) -> rx.Component:
    """The icon stays beside its words (an icon alone would be a block on its own line).
    `href`: a path, or a row's field inside rx.foreach."""
    return rx.link(
        rx.icon(icon, size=icon_size),
        text,
        href=href,
        display="inline-flex",
        align_items="center",
        gap="0.25em",
        white_space="nowrap",
        **props,
    )
