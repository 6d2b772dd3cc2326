"""Razorpay-shaped identifiers: a prefix plus 14 base62 characters."""

from __future__ import annotations

import secrets
import string
import time

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_LENGTH = 14


def new_id(prefix: str) -> str:
    """Return e.g. ``order_EKwxwAgItmmXdp`` for prefix ``order_``."""
    return prefix + "".join(secrets.choice(BASE62) for _ in range(ID_LENGTH))


def digits(n: int) -> str:
    """Random decimal string of length ``n`` (RRNs, auth codes, ARNs)."""
    return "".join(secrets.choice(string.digits) for _ in range(n))


def now() -> int:
    """Razorpay timestamps are unix seconds."""
    return int(time.time())
