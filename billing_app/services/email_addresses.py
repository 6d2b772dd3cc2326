"""Email addresses: the form we store, and the key that makes the signup credit once per
person rather than once per spelling.

Stored form: surrounding spaces removed, lower-cased (the local part is case-insensitive at
every mail provider that matters; RFC 5321 allows otherwise, nobody relies on it).

Credit key: the stored form with any `+tag` removed from the local part (sub-addressing:
`asha+1@x.in` and `asha+2@x.in` reach one mailbox at Gmail, Outlook, Fastmail and most
others), and, at gmail.com / googlemail.com only, the dots too (Gmail ignores them; other
providers do not, so `a.sha@x.in` and `asha@x.in` stay two people). Kept as its SHA-256, so
the claim table holds no address.
"""

from __future__ import annotations

import hashlib
import re

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL = re.compile(EMAIL_PATTERN)
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalise(email: str) -> str:
    return (email or "").strip().lower()


def is_valid(email: str) -> bool:
    """Looks like an address (something@domain.tld); whether it exists, only an email tells."""
    return _EMAIL.match(email) is not None


def address_key(email: str) -> str:
    local, _, domain = normalise(email).rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return hashlib.sha256(f"{local}@{domain}".encode()).hexdigest()
