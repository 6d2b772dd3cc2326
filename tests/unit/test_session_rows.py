from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing_app.rows.sessions import device_of, session_line
from billing_app.services.sessions import SessionRow

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36 Edg/140.0"


@pytest.mark.parametrize(
    "agent,device",
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (EDGE_WINDOWS, "Edge on Windows"),
        ("python-httpx/0.28.1", "python-httpx/0.28.1"),
        ("curl/8.5.0 (x86_64)", "curl/8.5.0"),
        ("", "Unknown device"),
        ("   ", "Unknown device"),
    ],
)
def test_a_device_is_named_from_its_user_agent(agent, device):
    assert device_of(agent) == device


def test_a_session_line_shows_ist_times_and_marks_this_device():
    row = SessionRow(
        id=7,
        created_at=datetime(2026, 12, 3, 6, 30, tzinfo=UTC),
        last_used_at=None,
        user_agent=CHROME_LINUX,
        ip="",
        current=True,
    )
    line = session_line(row)
    assert (line.id, line.device, line.ip, line.last_used, line.current) == (7, "Chrome on Linux", "—", "—", True)
    assert line.signed_in.startswith("03 Dec 2026, 12:00 PM")
