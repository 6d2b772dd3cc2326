"""The metering calls and their answers. No database here: these are what callers build and
get back (`billing_app.services.metering`), and what the backends take (`Stamped`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar


@dataclass(frozen=True)
class AuthorizeCall:
    """One request to check and hold for (authorize's arguments)."""

    api_key: str
    request_id: str
    model: str
    max_tokens: int | None = None
    prompt_tokens: int | None = None
    now: datetime | None = None  # None: when the call is made


@dataclass(frozen=True)
class UsageCall:
    """One finished request to debit (record_usage's arguments)."""

    api_key: str
    request_id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    routing_mode: str | None = None
    now: datetime | None = None  # None: when the call is made


C = TypeVar("C", AuthorizeCall, UsageCall)


@dataclass(frozen=True)
class Stamped(Generic[C]):
    """A call with the moment it is made at: what the backends take, so no path reads a
    clock of its own or a moment that was never set."""

    call: C
    now: datetime


def stamp(calls: Sequence[C], now: datetime) -> list[Stamped[C]]:
    """The calls, each at `now` unless it came with a moment of its own (the service reads its
    clock once per list of calls)."""
    return [Stamped(call, now if call.now is None else call.now) for call in calls]


@dataclass(frozen=True)
class Authorization:
    hold_id: int
    hold_micros: int
    # Balance minus every open hold, this one included (≤ 0: the next authorize is refused).
    available_micros: int
    expires_at: datetime
    currency: str


@dataclass(frozen=True)
class Debit:
    cost_micros: int
    balance_micros: int
    currency: str
    replayed: bool  # True when this request_id had already been debited


class Key(NamedTuple):
    """An active API key as metering sees it, with the org's currency and routing mode and
    the rates of the call's model (None: not in the catalog)."""

    id: int
    org_id: int
    budget: int | None
    spend_month: int
    month_spend: int
    currency: str
    mode: str
    input_rate: int | None
    output_rate: int | None
