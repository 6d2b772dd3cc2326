"""The metering hot path: `authorize` before an API request, `record_usage` after it.

Every call is one short transaction of a few statements built once (metering_statements.py),
run on a raw DBAPI connection; no ORM session. The balance moves with one
`UPDATE … RETURNING`, in the same transaction as the usage row, the per-IST-day rollup
and the key's month spend.

Holds: each authorize inserts a hold row and adds its estimate to the org's hold total
(one row, `hold_total`), whose row lock serialises the hold changes of one org on
PostgreSQL (SQLite's BEGIN IMMEDIATE serialises every writer); the balance is read after
that lock is taken. So concurrent authorizes see each other's holds and none is granted
once balance − holds ≤ 0. Usage deletes the request's hold and takes it off the total in
its transaction; expired holds come off at the org's next authorize or by jobs/holds.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from billing_app.config import get_settings
from billing_app.errors import (
    BillingAppError,
    BudgetExceeded,
    InsufficientCredits,
    InvalidApiKey,
    InvalidRequest,
    NotFound,
)
from billing_app.ist import ist_day
from billing_app.models import RoutingMode
from billing_app.models.types import utcnow
from billing_app.services.alerts import ALERT_INTERVAL, queue_alert_sqlite
from billing_app.services.api_keys import hash_key, ist_month
from billing_app.services.metering_sql import Connections, Tx, connections
from billing_app.services.metering_statements import EXPIRE_BATCH
from billing_app.services.pricing import markup_percent, request_cost

T = TypeVar("T")

MAX_TOKENS = 10**9
MAX_REQUEST_ID = 100


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


class _Key(NamedTuple):  # the `key` statement's row
    id: int
    org_id: int
    budget: int | None
    spend_month: int
    month_spend: int
    currency: str
    mode: str
    input_rate: int | None
    output_rate: int | None


def _check_request(request_id: str, model: str) -> None:
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise InvalidRequest(f"request_id must be 1 to {MAX_REQUEST_ID} characters.", field="request_id")
    if not model:
        raise InvalidRequest("model is required.", field="model")


def _check_tokens(**counts: int | None) -> None:
    for field, value in counts.items():
        if value is not None and (isinstance(value, bool) or not 0 <= value <= MAX_TOKENS):
            raise InvalidRequest(f"{field} must be an integer from 0 to {MAX_TOKENS}.", field=field)


def _lookup(tx: Tx, api_key: str, model: str) -> _Key:
    row = tx.one("key", {"key_hash": hash_key(api_key), "model": model})
    if row is None:
        raise InvalidApiKey()
    key = _Key._make(row)
    if key.input_rate is None or key.output_rate is None:
        raise NotFound(f"The model '{model}' is not in the catalog (GET /v1/models lists it).", field="model")
    return key


@dataclass(frozen=True)
class AuthorizeCall:
    """One request to check and hold for (authorize's arguments)."""

    api_key: str
    request_id: str
    model: str
    max_tokens: int | None = None
    prompt_tokens: int | None = None
    now: datetime | None = None


def authorize(
    *,
    api_key: str,
    request_id: str,
    model: str,
    max_tokens: int | None = None,
    prompt_tokens: int | None = None,
    now: datetime | None = None,
) -> Authorization:
    """Check a request before it runs and hold its estimated cost.

    Raises InvalidApiKey (unknown or revoked key), NotFound (model not in the catalog),
    BudgetExceeded (the key's spend this IST month ≥ its budget) or InsufficientCredits
    (balance minus open holds ≤ 0). Idempotent on (key, request_id): a repeat returns the
    hold already placed. The hold expires by itself after HOLD_TTL_SECONDS.
    """
    return _only(authorize_many([AuthorizeCall(api_key, request_id, model, max_tokens, prompt_tokens, now)]))


def authorize_many(calls: Sequence[AuthorizeCall]) -> list[Authorization | Exception]:
    """`authorize` for several requests at once, in order: each call's hold, or the error it
    alone would have raised; the same as making the calls one by one. On SQLite they share
    one transaction: one sweep and one balance read per org, one hold-total update per org."""
    return _answer_all(calls, _check_authorize, _authorize_in, _authorize_one)


def _check_authorize(call: AuthorizeCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(max_tokens=call.max_tokens, prompt_tokens=call.prompt_tokens)


def _estimate(key: _Key, call: AuthorizeCall) -> int:
    return request_cost(
        prompt_tokens=call.prompt_tokens or 0,
        completion_tokens=get_settings().hold_default_max_tokens if call.max_tokens is None else call.max_tokens,
        input_micros_per_million=key.input_rate or 0,
        output_micros_per_million=key.output_rate or 0,
        mode=key.mode,
    )


def _check_budget(key: _Key, now: datetime) -> None:
    spent = key.month_spend if key.spend_month == ist_month(now) else 0
    if key.budget is not None and spent >= key.budget:
        raise BudgetExceeded()


def _hold_params(db: Connections, key: _Key, call: AuthorizeCall, now: datetime) -> dict[str, Any]:
    return {
        "org_id": key.org_id,
        "key_id": key.id,
        "request_id": call.request_id,
        "model": call.model,
        "amount": _estimate(key, call),
        "now": db.db_time(now),
        "expires_at": db.db_time(_expiry(now)),
    }


def _expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=get_settings().hold_ttl_seconds)


def _authorize_one(db: Connections, call: AuthorizeCall) -> Authorization:
    """PostgreSQL: one call, in one atomic step (`Tx.step("place_hold")`)."""
    now = call.now or utcnow()
    with db.autocommit() as tx:
        key = _lookup(tx, call.api_key, call.model)
        _check_budget(key, now)
        params = _hold_params(db, key, call, now)
        hold_id, held, balance = tx.step("place_hold", params)
    if hold_id is None:  # a repeat, or no room: a repeat's hold stands even when there is no room now
        with db.transaction() as tx:
            (held,) = tx.one("held", {"org_id": key.org_id}) or (0,)
            (balance,) = tx.one("balance", {"org_id": key.org_id}) or (0,)
            return _placed_hold(tx, db, key, call.request_id, balance - held)
    return Authorization(hold_id, params["amount"], int(balance - held), _expiry(now), key.currency)


def _placed_hold(tx: Tx, db: Connections, key: _Key, request_id: str, available: int) -> Authorization:
    """The hold this request already has; InsufficientCredits when it has none."""
    existing = tx.one("existing_hold", {"key_id": key.id, "request_id": request_id})
    if existing is None:
        raise InsufficientCredits()
    hold_id, amount, expires_at = existing
    return Authorization(hold_id, amount, int(available), db.py_time(expires_at), key.currency)


def _authorize_in(tx: Tx, db: Connections, calls: Sequence[AuthorizeCall]) -> list[Authorization | Exception]:
    """SQLite: the calls in the caller's transaction. Per org (at its first call) its expired
    holds come off and its balance and hold total are read; per call, the checks and the
    hold, against the total so far; then per org one hold-total update."""
    keys: dict[tuple[str, str], _Key | Exception] = {}
    funds: dict[int, list[int]] = {}  # org → [balance, hold total so far]
    reserved: dict[int, int] = {}
    answers: list[Authorization | Exception] = []
    for call in calls:
        key = _key_for(tx, keys, call.api_key, call.model)
        if isinstance(key, Exception):
            answers.append(key)
            continue
        now = call.now or utcnow()
        try:
            _check_budget(key, now)
        except BudgetExceeded as error:
            answers.append(error)
            continue
        params = _hold_params(db, key, call, now)
        org = funds.get(key.org_id)
        if org is None:
            org = funds[key.org_id] = _funds_after_sweep(tx, params)
        balance, held = org
        placed = tx.one("insert_hold", params) if balance - held > 0 else None
        if placed is None:  # a repeat, or no room: a repeat's hold stands even when there is no room now
            answers.append(_outcome(_placed_hold, tx, db, key, call.request_id, balance - held, errors=BillingAppError))
            continue
        org[1] += params["amount"]
        reserved[key.org_id] = reserved.get(key.org_id, 0) + params["amount"]
        answers.append(Authorization(placed[0], params["amount"], balance - org[1], _expiry(now), key.currency))
    for org_id in sorted(reserved):
        tx.run("reserve", {"org_id": org_id, "amount": reserved[org_id]})
    return answers


def _funds_after_sweep(tx: Tx, params: dict[str, Any]) -> list[int]:
    """[balance, hold total] of the org, after taking its expired holds off."""
    swept = sum(amount for (amount,) in tx.all("sweep_org", params))
    (held,) = tx.one("reserve", {"org_id": params["org_id"], "amount": -swept}) or (0,)
    (balance,) = tx.one("balance", params) or (0,)
    return [int(balance), int(held)]


def _key_for(tx: Tx, keys: dict[tuple[str, str], _Key | Exception], api_key: str, model: str) -> _Key | Exception:
    """The key's row for this model, looked up once per batch; a refusal (unknown key or
    model) is that call's answer, a database error fails the batch."""
    found = keys.get((api_key, model))
    if found is None:
        found = keys[api_key, model] = _outcome(_lookup, tx, api_key, model, errors=BillingAppError)
    return found


Call = TypeVar("Call")


def _answer_all(
    calls: Sequence[Call],
    check: Callable[[Call], None],
    together: Callable[[Tx, Connections, list[Call]], list[T | Exception]],
    alone: Callable[[Connections, Call], T],
) -> list[T | Exception]:
    """Each call's answer or error, in order. SQLite: the valid calls `together` in one
    transaction; if the database fails it, each call again on its own, so one call's data
    cannot fail the others. PostgreSQL: each call `alone` (its own atomic step)."""
    answers: dict[int, T | Exception] = {}
    valid: list[tuple[int, Call]] = []
    for index, call in enumerate(calls):
        try:
            check(call)
            valid.append((index, call))
        except BillingAppError as error:
            answers[index] = error
    db = connections()
    batch = [call for _, call in valid]
    done: list[T | Exception]
    if not db.is_sqlite:
        done = [_outcome(alone, db, call) for call in batch]  # (each its own atomic step)
    elif len(batch) == 1:  # (a database error raises, as any single call's would)
        done = _in_one_transaction(db, together, batch)
    else:
        try:
            done = _in_one_transaction(db, together, batch)
        except Exception:
            done = []
            for call in batch:  # one call's data must not fail the others: each on its own
                try:
                    done.extend(_in_one_transaction(db, together, [call]))
                except Exception as error:
                    done.append(error)
    answers.update((index, answer) for (index, _), answer in zip(valid, done, strict=True))
    return [answers[index] for index in range(len(calls))]


def _in_one_transaction(
    db: Connections, together: Callable[[Tx, Connections, list[Call]], list[T | Exception]], batch: list[Call]
) -> list[T | Exception]:
    with db.transaction() as tx:
        return together(tx, db, batch)


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


def record_usage(
    *,
    api_key: str,
    request_id: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    routing_mode: str | None = None,
    now: datetime | None = None,
) -> Debit:
    """Debit one finished request: cost = provider rates × (1 + the routing mode's markup),
    rounded up once to the micro-unit.

    Atomically writes the usage event, the balance, the IST-day rollup and the key's month
    spend, settles the request's hold, and queues a low-balance alert when the debit
    crosses the org's threshold. Never refused for lack of balance (the request already
    happened; the next authorize is). Idempotent on (key, request_id): a replay returns the
    first cost and debits nothing. Raises InvalidApiKey, NotFound (model), InvalidRequest
    (token counts outside 0..10⁹, unknown routing mode).
    """
    call = UsageCall(api_key, request_id, model, prompt_tokens, completion_tokens, routing_mode, now)
    return _only(record_usages([call]))


def record_usages(calls: Sequence[UsageCall]) -> list[Debit | Exception]:
    """`record_usage` for several requests at once, in order: each call's answer, or the
    error it alone would have raised. The same as making the calls one by one; on SQLite
    they share one transaction, one debit per org, one rollup row update per (day, key,
    model) and one month-spend update per key."""
    return _answer_all(calls, _check_usage, _record_in, _record_one)


def _only(answers: list[T | Exception]) -> T:
    (answer,) = answers
    if isinstance(answer, Exception):
        raise answer
    return answer


def _outcome(fn: Callable[..., T], *args: Any, errors: type[Exception] = Exception) -> T | Exception:
    """fn(*args), or the error of type `errors` it raised."""
    try:
        return fn(*args)
    except errors as error:
        return error


def _check_usage(call: UsageCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens)
    if call.routing_mode is not None and call.routing_mode not in RoutingMode.__members__.values():
        raise InvalidRequest("routing_mode must be 'auto' or 'tier'.", field="routing_mode")


def _usage_params(db: Connections, key: _Key, call: UsageCall) -> dict[str, Any]:
    now = call.now or utcnow()
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


def _record_one(db: Connections, call: UsageCall) -> Debit:
    """PostgreSQL: one call, in one statement (`Tx.step("usage")`)."""
    with db.autocommit() as tx:
        key = _lookup(tx, call.api_key, call.model)
        params = _usage_params(db, key, call)
        event_id, balance = tx.step("usage", params)
    if event_id is None:  # already debited: answer as the first time
        return _replayed(db, key, call.request_id)
    return Debit(params["cost"], int(balance), key.currency, replayed=False)


def _replayed(db: Connections, key: _Key, request_id: str) -> Debit:
    with db.transaction() as tx:
        (first_cost,) = tx.one("event_cost", {"key_id": key.id, "request_id": request_id}) or (0,)
        (balance,) = tx.one("balance", {"org_id": key.org_id}) or (0,)
    return Debit(int(first_cost), int(balance), key.currency, replayed=True)


def _record_in(tx: Tx, db: Connections, calls: Sequence[UsageCall]) -> list[Debit | Exception]:
    """SQLite: the calls in the caller's transaction. Per call, the event (a replay inserts
    nothing) and its hold; then per org the hold release and one debit (deciding the
    alert), per (org, day, key, model) one rollup update and per (key, month) one
    month-spend update, with the calls' sums."""
    keys: dict[tuple[str, str], _Key | Exception] = {}
    answers: list[Debit | Exception | dict[str, Any] | _Replay] = []
    released: dict[int, int] = {}
    debits: dict[int, list[dict[str, Any]]] = {}
    rollups: dict[tuple[Any, ...], dict[str, Any]] = {}
    spends: list[dict[str, Any]] = []  # per key, one row per run of calls in one IST month
    currencies: dict[int, str] = {}
    for call in calls:
        found = _key_for(tx, keys, call.api_key, call.model)
        if isinstance(found, Exception):
            answers.append(found)
            continue
        params = _usage_params(db, found, call)
        currencies[found.org_id] = found.currency
        if tx.one("insert_event", params) is None:  # a replay
            answers.append(_Replay(found, call.request_id))
            continue
        answers.append(params)
        settled = tx.one("settle_hold", params)
        if settled is not None:
            released[settled[0]] = released.get(settled[0], 0) + settled[1]
        debits.setdefault(found.org_id, []).append(params)
        _add_to_rollup(rollups, params)
        _add_spend(spends, params)
    for org_id in sorted(released):
        tx.run("release", {"org_id": org_id, "amount": released[org_id]})
    balance_now: dict[int, int] = {}  # per debited org, as the calls go: from before the batch
    for org_id, rows in debits.items():
        last = rows[-1]
        total = sum(row["cost"] for row in rows)
        (balance,) = tx.one("debit_balance", {"org_id": org_id, "cost": total}) or (0,)
        queue_alert_sqlite(tx.cursor, org_id=org_id, now=last["now"], cutoff=last["cutoff"])
        for row in reversed(rows):  # each call's balance right after its own debit
            row["balance"] = int(balance)
            balance += row["cost"]
        balance_now[org_id] = int(balance)
    for row in rollups.values():
        tx.run("rollup", row)
    for row in spends:
        tx.run("key_spend", row)
    done: list[Debit | Exception] = []
    for answer in answers:
        if isinstance(answer, dict):
            balance_now[answer["org_id"]] = answer["balance"]
            done.append(Debit(answer["cost"], answer["balance"], currencies[answer["org_id"]], replayed=False))
        elif isinstance(answer, _Replay):  # answered with the balance at its turn in the batch
            (first_cost,) = tx.one("event_cost", {"key_id": answer.key.id, "request_id": answer.request_id}) or (0,)
            balance = balance_now.get(answer.key.org_id)
            if balance is None:
                (balance,) = tx.one("balance", {"org_id": answer.key.org_id}) or (0,)
            done.append(Debit(int(first_cost), int(balance), answer.key.currency, replayed=True))
        else:
            done.append(answer)
    return done


@dataclass(frozen=True)
class _Replay:
    key: _Key
    request_id: str


_ROLLUP_SUMS = ("requests", "prompt_tokens", "completion_tokens", "cost")


def _add_spend(spends: list[dict[str, Any]], params: dict[str, Any]) -> None:
    """Add a call's cost to its key's month spend: to the key's latest row while the IST month
    stays the same, else in a new row — a change of month starts the spend over, so the rows
    are applied in order, as the calls one by one would."""
    latest = next((row for row in reversed(spends) if row["key_id"] == params["key_id"]), None)
    if latest is not None and latest["month"] == params["month"]:
        latest["cost"] += params["cost"]
        latest["now"] = params["now"]
    else:
        spends.append(dict(params))


def _add_to_rollup(rollups: dict[tuple[Any, ...], dict[str, Any]], params: dict[str, Any]) -> None:
    """Add a call into its (org, IST day, key, model) row: a copy of the group's first call's
    params, then the sums (the rollup's upsert adds the row to the stored one)."""
    group = (params["org_id"], params["day"], params["key_id"], params["model"])
    row = rollups.get(group)
    if row is None:
        rollups[group] = dict(params)
        return
    for field in _ROLLUP_SUMS:
        row[field] += params[field]


def expire_holds(*, now: datetime | None = None) -> int:
    """Delete holds past their expiry and take them off their orgs' hold totals, in
    batches; returns how many. (Authorize already ignores its own org's expired holds;
    this tidies up after orgs that went quiet.) Safe anywhere, any number of times."""
    db = connections()
    moment = db.db_time(now or utcnow())
    total = 0
    while True:
        with db.transaction() as tx:
            rows = tx.all("expire_holds", {"now": moment})
            per_org: dict[int, int] = {}
            for org_id, amount in rows:
                per_org[org_id] = per_org.get(org_id, 0) + amount
            for org_id in sorted(per_org):  # a fixed order: two sweepers never deadlock
                tx.run("release", {"org_id": org_id, "amount": per_org[org_id]})
        total += len(rows)
        if len(rows) < EXPIRE_BATCH:
            return total


def hold_mismatches() -> list[tuple[int, int, int]]:
    """(org_id, hold total, Σ its holds) for every org where the two disagree: they move
    together in every transaction, so this is empty unless something bypassed them."""
    db = connections()
    with db.transaction() as tx:
        return [(int(o), int(t), int(h)) for o, t, h in tx.all("hold_audit", {})]
