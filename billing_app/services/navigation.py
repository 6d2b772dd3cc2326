"""Where a page may send the user next: the open-redirect guard."""

from __future__ import annotations


def safe_local_path(value: str | None, default: str) -> str:
    """`value` when it is a path on this site, else `default`. Refuses `//host`, `/\\host`
    and anything with a scheme or control characters (an open redirect)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    ):
        return default
    return value
