"""Who the current request acts as: the audit log's "who" and the role checks' "as whom".

Set once per request by the API's session dependency and by the UI's `current_principal`
(`acting`); read by `audit.record` and `roles.check`. The value is a context variable, so it
travels with the request into the thread a service runs on. A webhook, a job or the CLI, with
no request, acts as the system, which every role check lets through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in person (with the org they act for, their role in it, the
    request's IP and user agent), someone not signed in opening an emailed link (IP and user
    agent only), or the system (a webhook, a job)."""

    user_id: int | None = None
    ip: str = ""
    user_agent: str = ""
    kind: str = "user"  # user | system | staff
    org_id: int | None = None
    role: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(kind="system")


SYSTEM = Actor.system()
_acting: ContextVar[Actor | None] = ContextVar("acting", default=None)


def acting(actor: Actor) -> None:
    _acting.set(actor)


def current_actor() -> Actor:
    return _acting.get() or SYSTEM


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """`actor` acts for the block (a test, a script), then whoever acted before."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)
