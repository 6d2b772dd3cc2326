"""Fault switches set through ``POST /_control/faults``."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import ApiError

API_ERROR_STATUSES = (500, 502, 503, 504)
SHUFFLE_MODES = ("reverse", "random")


@dataclass
class Faults:
    """Every switch off by default; ``reset()`` restores these defaults in place."""

    webhook_duplicate: bool = False  # each event delivered twice
    webhook_shuffle: bool = False  # events of one action queued out of order
    webhook_shuffle_mode: str = "reverse"  # reverse | random
    webhook_delay_seconds: float = 0.0  # hold each batch back before queueing it
    webhook_drop: bool = False  # record but do not send (redeliver later)
    webhook_bad_signature: bool = False
    webhook_missing_signature: bool = False
    api_error: int | None = None  # 500 | 503 (SERVER_ERROR), 504 (GATEWAY_ERROR), 502 (HTML)
    api_error_count: int | None = None  # calls that fail before healing; None: until cleared
    api_error_after_commit: bool = False  # apply the request, then answer the error
    api_slow_seconds: float = 0.0
    receipt_unique: bool = True
    recurring_fail_next: int = 0  # the next N recurring debits fail (payment.failed)
    recurring_reverse_next: int = 0  # the next N captured recurring debits are reversed later

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def reset(self) -> None:
        with self._lock:
            for f in fields(self):
                setattr(self, f.name, f.default)

    def update(self, changes: dict[str, Any]) -> None:
        """Validate every change first, then apply them all (or none)."""
        parsed = {key: _parse(key, value) for key, value in changes.items()}
        with self._lock:
            for key, value in parsed.items():
                setattr(self, key, value)

    def take_api_error(self) -> int | None:
        """The status this API call must fail with, counting down ``api_error_count``."""
        with self._lock:
            status = self.api_error
            if status is None:
                return None
            if self.api_error_count is not None:
                if self.api_error_count <= 0:
                    self.api_error = self.api_error_count = None
                    return None
                self.api_error_count -= 1
                if self.api_error_count == 0:
                    self.api_error = self.api_error_count = None
            return status

    def take(self, switch: str) -> bool:
        """Use one of a counting switch (``recurring_fail_next`` …): True when it was set."""
        with self._lock:
            left: int = getattr(self, switch)
            if left <= 0:
                return False
            setattr(self, switch, left - 1)
            return True


_COUNTS = {"recurring_fail_next", "recurring_reverse_next"}
_BOOLS = {
    "webhook_duplicate",
    "webhook_shuffle",
    "webhook_drop",
    "webhook_bad_signature",
    "webhook_missing_signature",
    "api_error_after_commit",
    "receipt_unique",
}
_SECONDS = {"webhook_delay_seconds", "api_slow_seconds"}


def _invalid(key: str, why: str) -> ApiError:
    return ApiError(f"{key}: {why}", field=key)


def _parse(key: str, value: Any) -> Any:
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise _invalid(key, "must be true or false")
        return value
    if key in _SECONDS:
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise _invalid(key, "must be a number of seconds >= 0")
        return float(value)
    if key in _COUNTS:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid(key, "must be an integer >= 0")
        return value
    if key == "webhook_shuffle_mode":
        if value not in SHUFFLE_MODES:
            raise _invalid(key, f"must be one of {', '.join(SHUFFLE_MODES)}")
        return value
    if key == "api_error":
        if value is None or value is False:
            return None
        if value not in API_ERROR_STATUSES or isinstance(value, bool):
            raise _invalid(key, f"must be null or one of {API_ERROR_STATUSES}")
        return int(value)
    if key == "api_error_count":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _invalid(key, "must be null or an integer >= 1")
        return value
    raise _invalid(key, "unknown fault switch")
