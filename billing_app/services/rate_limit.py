"""Brute-force limits for sign-up, login and promo checks: a sliding window per key.

Kept in process memory: with several app workers each counts on its own, so the
effective limit is per worker (documented in the README).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from billing_app.errors import RateLimited

_WINDOW_SECONDS = 60.0
_lock = threading.Lock()
_hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)


def check_rate(*, action: str, key: str, per_minute: int, now: float | None = None) -> None:
    """Count one attempt of `action` by `key`; raise RateLimited past `per_minute`."""
    now = time.monotonic() if now is None else now
    with _lock:
        window = _hits[(action, key)]
        while window and window[0] <= now - _WINDOW_SECONDS:
            window.popleft()
        if len(window) >= per_minute:
            raise RateLimited()
        window.append(now)


def reset_rate_limits() -> None:
    with _lock:
        _hits.clear()
