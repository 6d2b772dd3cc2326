"""Pages that later work fills in."""

from __future__ import annotations

import reflex as rx

from billing_app.components.layout import card, page_frame


def _coming(active: str, title: str, text: str) -> rx.Component:
    return page_frame(active, title, card(rx.text(text, color=rx.color("gray", 11))))
