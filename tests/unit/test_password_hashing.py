"""Password hashes: changing PASSWORD_HASH_STRENGTH never locks anyone out, because a stored
hash names its own argon2 parameters."""

from __future__ import annotations

import pytest

from billing_app.context import reset_context
from billing_app.services.accounts import password_hasher


def hasher_at(monkeypatch: pytest.MonkeyPatch, strength: str):
    monkeypatch.setenv("PASSWORD_HASH_STRENGTH", strength)
    reset_context()
    return password_hasher()


@pytest.mark.parametrize(("made_at", "checked_at"), [("standard", "fast"), ("fast", "standard")])
def test_a_hash_made_at_one_strength_verifies_at_the_other(monkeypatch, made_at, checked_at):
    stored = hasher_at(monkeypatch, made_at).hash("correct horse battery")
    assert hasher_at(monkeypatch, checked_at).verify(stored, "correct horse battery")
    reset_context()


def test_standard_strength_is_argon2_defaults_and_fast_is_cheaper(monkeypatch):
    standard = hasher_at(monkeypatch, "standard")
    fast = hasher_at(monkeypatch, "fast")
    reset_context()
    assert standard.memory_cost >= 65536 and standard.time_cost >= 3
    assert fast.memory_cost < standard.memory_cost
