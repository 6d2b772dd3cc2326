"""The rows of Settings → Security: where the person is signed in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from billing_app.ist import display_ist
from billing_app.services.sessions import SessionRow

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@dataclass(frozen=True)
class SessionLine:
    id: int
    device: str  # "Chrome on Linux", or what the user agent says
    ip: str
    signed_in: str
    last_used: str
    current: bool


def device_of(user_agent: str) -> str:
    """A short name for a browser's user agent ("Firefox on Windows"); anything else (an API
    client) as it introduced itself, cut short; "Unknown device" for none."""
    agent = user_agent.strip()
    if not agent:
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    first = re.split(r"[\s(]", agent, maxsplit=1)[0]
    return first[:40] or "Unknown device"


def session_line(row: SessionRow) -> SessionLine:
    return SessionLine(
        id=row.id,
        device=device_of(row.user_agent),
        ip=row.ip or "—",
        signed_in=display_ist(row.created_at),
        last_used=display_ist(row.last_used_at) if row.last_used_at else "—",
        current=row.current,
    )
