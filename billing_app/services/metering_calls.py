"""The metering calls and their answers, and what every path needs to make them: the API
key's row (one SELECT), the checks against it, and the values a hold or a usage row takes.
`metering` checks the calls; `metering_sqlite` answers a list of them in one SQLite
transaction, `metering_postgres` with PostgreSQL statements that take them as arrays."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from billing_app.config import get_settings
from billing_app.errors import BillingAppError, BudgetExceeded, InvalidApiKey, NotFound
from billing_app.ist import ist_day
from billing_app.services.alerts import ALERT_INTERVAL
from billing_app.services.api_keys import hash_key, ist_month
from billing_app.services.metering_sql import Connections, Tx
from billing_app.services.pricing import markup_percent, request_cost

T = TypeVar("T")


@dataclass(frozen=True)
class AuthorizeCall:
    """One request to check and hold for (authorize's arguments)."""

    api_key: str
    request_id: str
    model: str
    max_tokens: int | None = None
    prompt_tokens: int | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class UsageCall:
    """One finished request to debit (record_usage's arguments)."""

    api_key: str
    request_id: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    routing_mode: str | None = None
    now: datetime | None = None


Stamped = TypeVar("Stamped", AuthorizeCall, UsageCall)


def stamped(calls: Sequence[Stamped], now: datetime) -> list[Stamped]:
    """The calls, each given `now` unless it came with a moment of its own. `metering` reads
    its clock once per list of calls for this; every path after takes the call's `moment`."""
    return [call if call.now is not None else replace(call, now=now) for call in calls]


def moment(call: AuthorizeCall | UsageCall) -> datetime:
    if call.now is None:
        raise ValueError("a metering call runs with its moment stamped (metering_calls.stamped)")
    return call.now


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


class Key(NamedTuple):  # the `key` statement's row
    id: int
    org_id: int
    budget: int | None
    spend_month: int
    month_spend: int
    currency: str
    mode: str
    input_rate: int | None
    output_rate: int | None


def lookup(tx: Tx, api_key: str, model: str) -> Key:
    row = tx.one("key", {"key_hash": hash_key(api_key), "model": model})
    if row is None:
        raise InvalidApiKey()
    key = Key._make(row)
    if key.input_rate is None or key.output_rate is None:
        raise NotFound(f"The model '{model}' is not in the catalog (GET /v1/models lists it).", field="model")
    return key


def key_for(tx: Tx, keys: dict[tuple[str, str], Key | Exception], api_key: str, model: str) -> Key | Exception:
    """The key's row for this model, looked up once per batch; a refusal (unknown key or
    model) is that call's answer, a database error fails the batch."""
    found = keys.get((api_key, model))
    if found is None:
        found = keys[api_key, model] = outcome(lookup, tx, api_key, model, errors=BillingAppError)
    return found


def estimate(key: Key, call: AuthorizeCall) -> int:
    return request_cost(
        prompt_tokens=call.prompt_tokens or 0,
        completion_tokens=get_settings().hold_default_max_tokens if call.max_tokens is None else call.max_tokens,
        input_micros_per_million=key.input_rate or 0,
        output_micros_per_million=key.output_rate or 0,
        mode=key.mode,
    )


def check_budget(key: Key, now: datetime) -> None:
    spent = key.month_spend if key.spend_month == ist_month(now) else 0
    if key.budget is not None and spent >= key.budget:
        raise BudgetExceeded()


def hold_params(db: Connections, key: Key, call: AuthorizeCall, now: datetime) -> dict[str, Any]:
    return {
        "org_id": key.org_id,
        "key_id": key.id,
        "request_id": call.request_id,
        "model": call.model,
        "amount": estimate(key, call),
        "now": db.db_time(now),
        "expires_at": db.db_time(expiry(now)),
    }


def expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=get_settings().hold_ttl_seconds)


def usage_params(db: Connections, key: Key, call: UsageCall) -> dict[str, Any]:
    now = moment(call)
    mode = call.routing_mode or key.mode
    return {
        "org_id": key.org_id,
        "key_id": key.id,
        "request_id": call.request_id,
        "model": call.model,
        "mode": mode,
        "prompt_tokens": call.prompt_tokens,
        "completion_tokens": call.completion_tokens,
        "input_rate": key.input_rate,
        "output_rate": key.output_rate,
        "markup": markup_percent(mode),
        "cost": request_cost(
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            input_micros_per_million=key.input_rate or 0,
            output_micros_per_million=key.output_rate or 0,
            mode=mode,
        ),
        "now": db.db_time(now),
        "day": db.db_day(ist_day(now)),
        "month": ist_month(now),
        "cutoff": db.db_time(now - ALERT_INTERVAL),
        "requests": 1,
    }


def outcome(fn: Callable[..., T], *args: Any, errors: type[Exception] = Exception) -> T | Exception:
    """fn(*args), or the error of type `errors` it raised."""
    try:
        return fn(*args)
    except errors as error:
        return error
