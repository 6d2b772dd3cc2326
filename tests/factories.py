"""Factories for tests: people and orgs made through the real services."""

from __future__ import annotations

import itertools

from billing_app.services import accounts

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def make_account(*, email: str | None = None, name: str = "Asha Rao", org_name: str = "Acme Labs") -> accounts.SignedIn:
    n = next(_counter)
    return accounts.signup(
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        name=name,
        org_name=f"{org_name} {n}",
        client_ip=f"10.0.{n // 250}.{n % 250}",
    )
