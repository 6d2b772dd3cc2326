"""The console's GST export control: pick an IST month, download its GSTR-1 sheets as a zip
(services/gst_export.py, the same files as the CLI's `gst export`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import reflex as rx

from billing_app.config import get_settings
from billing_app.errors import BillingAppError
from billing_app.ist import IST, ist_month_start
from billing_app.services import gst_export
from billing_app.state.session import call_service, current_staff


def previous_month(now: datetime | None = None) -> str:
    """The IST month before `now` ("2026-11" in December): the one an operator files."""
    start = ist_month_start(now or datetime.now(IST))
    return (start - timedelta(days=1)).astimezone(IST).strftime("%Y-%m")


class ConsoleGstExportState(rx.State):
    month: str = ""  # empty: last month
    error: str = ""

    @rx.var
    def shown_month(self) -> str:
        return self.month or previous_month()

    @rx.var
    def gst_on(self) -> bool:
        return get_settings().gst_enabled

    @rx.event
    def set_month(self, value: str) -> None:
        self.month, self.error = value, ""

    @rx.event
    async def download(self):  # type: ignore[no-untyped-def]
        if await current_staff(self) is None:
            return
        try:
            export = await call_service(gst_export.gstr1_export, month=self.shown_month)
        except BillingAppError as exc:
            self.error = exc.message
            return
        self.error = ""
        yield rx.download(data=export.zip_bytes(), filename=export.zip_name)
