"""A hidden marker that exists once the page is hydrated (tests wait for it)."""

import reflex as rx


def ready_marker() -> rx.Component:
    return rx.cond(rx.State.is_hydrated, rx.el.span(id="app-ready", hidden=True))
