"""The composition root: everything a process builds once — the settings, the database
engines, the metering connections and backend, the Razorpay gateway, the rate limiters, the
webhook worker threads — is held by one AppContext.

The context is built on first use from the environment (in an app worker after the fork, in
a CLI command, in a test), and each piece is built the first time it is asked for
(`context().get(RESOURCE)`), so a process that never meters never opens the metering
connections. `reset_context()` closes every piece and forgets the settings: the one call a test
makes when it points DATABASE_URL or REDIS_URL somewhere else (tests/conftest.py). No other
module keeps a cache of a resource of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from billing_app.config import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Resource(Generic[T]):
    """How to build one piece from the settings (and the context, for pieces built on
    others), and how to close it."""

    name: str
    build: Callable[[AppContext], T]
    close: Callable[[T], object] | None = None


class AppContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[str, tuple[Resource[Any], Any]] = {}
        self._lock = threading.RLock()  # a piece may be built from another (read engine ← write engine)

    def get(self, resource: Resource[T]) -> T:
        found = self._built.get(resource.name)
        if found is None:
            with self._lock:
                found = self._built.get(resource.name)
                if found is None:
                    found = (resource, resource.build(self))
                    self._built[resource.name] = found
        value: T = found[1]
        return value

    def built(self, resource: Resource[T]) -> T | None:
        """The piece if it has been built, without building it."""
        found = self._built.get(resource.name)
        return found[1] if found is not None else None

    def close(self) -> None:
        """Close every piece, the last built first."""
        with self._lock:
            built, self._built = list(self._built.values()), {}
        for resource, value in reversed(built):
            if resource.close is not None:
                resource.close(value)


_current: AppContext | None = None
_swap = threading.Lock()


def context() -> AppContext:
    current = _current
    if current is None:
        with _swap:
            current = _current
            if current is None:
                current = _set(AppContext(Settings()))
    return current


def _set(new: AppContext | None) -> AppContext:
    global _current
    _current = new
    return new  # type: ignore[return-value]


def reset_context() -> None:
    """Close everything the current context built; the next `context()` reads the
    environment again."""
    with _swap:
        old = _current
        _set(None)
    if old is not None:
        old.close()
