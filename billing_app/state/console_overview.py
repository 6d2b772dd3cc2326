"""The console's overview: its figures, each with the list behind it."""

from __future__ import annotations

import reflex as rx

from billing_app.ist import display_ist
from billing_app.rows.console import FigureLine, figure_lines
from billing_app.services.console import overview
from billing_app.state.session import call_service, current_staff


class ConsoleOverviewState(rx.State):
    figures: list[FigureLine] = []
    as_of: str = ""
    loading: bool = True

    @rx.event
    async def load(self) -> None:
        if await current_staff(self) is None:
            return
        found = await call_service(overview.overview)
        self.figures = figure_lines(found)
        self.as_of = display_ist(found.as_of)
        self.loading = False
