"""The console's GST export control: staff pick a month on the overview and download its GSTR-1
sheets as a zip (the same files as `python -m billing_app.cli gst export`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from billing_app import routes
from billing_app.gstr1 import HEADERS
from billing_app.state.console_gst_export import previous_month
from tests.e2e.conftest import goto, screenshot
from tests.e2e.test_console_flow import staff_member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_staff_download_a_months_gstr1_zip(app_server: str, app_database: str, browser: Browser, width: int):
    staff = staff_member(browser, app_server, app_database, width)
    goto(staff, app_server, routes.CONSOLE)
    control = staff.get_by_test_id("gst-export")
    expect(control).to_be_visible()
    expect(staff.get_by_test_id("gst-month")).to_have_value(previous_month())  # the month one files
    screenshot(staff, f"console-gst-export-{width}")  # at the top: the sticky header

    staff.get_by_test_id("gst-month").fill("2026-11")
    with staff.expect_download() as download:
        staff.get_by_test_id("gst-download").click()
    assert download.value.suggested_filename == "gstr1-2026-11.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in HEADERS)
        assert archive.read("b2b.csv").decode().startswith("GSTIN/UIN of Recipient,Receiver Name,")
