"""What a path that does not exist shows: Reflex's own 404 content, registered as the app's 404
page (billing_app.py) and shown by every console page to anyone not on staff, so the two
cannot drift apart and nobody learns from a page that the console exists."""

from __future__ import annotations

import reflex as rx

TITLE = "404 - Not Found"  # Reflex's title for its 404 page (constants.Page404.TITLE)


def not_found() -> rx.Component:
    return rx.el.span("404: Page not found")
