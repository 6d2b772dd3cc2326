"""Bearer secrets (session tokens, email links) are stored as their SHA-256: they are random
enough that a slow hash buys nothing, and a stolen table yields no usable token."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
