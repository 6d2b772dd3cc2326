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

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from billing_app.config import get_settings
from billing_app.errors import BudgetExceeded, InsufficientCredits, InvalidApiKey, InvalidRequest, NotFound
from billing_app.ist import ist_day
from billing_app.models import RoutingMode
from billing_app.models.types import utcnow
from billing_app.services.alerts import ALERT_INTERVAL
from billing_app.services.api_keys import hash_key, ist_month
from billing_app.services.metering_sql import Tx, connections
from billing_app.services.metering_statements import EXPIRE_BATCH
from billing_app.services.pricing import markup_percent, request_cost

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
    _check_request(request_id, model)
    _check_tokens(max_tokens=max_tokens, prompt_tokens=prompt_tokens)
    settings = get_settings()
    now = now or utcnow()
    expires_at = now + timedelta(seconds=settings.hold_ttl_seconds)
    db = connections()
    with db.hot() as tx:
        key = _lookup(tx, api_key, model)
        spent = key.month_spend if key.spend_month == ist_month(now) else 0
        if key.budget is not None and spent >= key.budget:
            raise BudgetExceeded()
        estimate = request_cost(
            prompt_tokens=prompt_tokens or 0,
            completion_tokens=settings.hold_default_max_tokens if max_tokens is None else max_tokens,
            input_micros_per_million=key.input_rate or 0,
            output_micros_per_million=key.output_rate or 0,
            mode=key.mode,
        )
        hold_id, held, balance = tx.step(
            "place_hold",
            {
                "org_id": key.org_id,
                "key_id": key.id,
                "request_id": request_id,
                "model": model,
                "amount": estimate,
                "now": db.db_time(now),
                "expires_at": db.db_time(expires_at),
            },
        )
    if hold_id is None:  # a repeat, or no room: a repeat's hold stands even when there is no room now
        return _placed_hold(api_key=api_key, request_id=request_id, model=model)
    return Authorization(hold_id, estimate, int(balance - held), expires_at, key.currency)


def _placed_hold(*, api_key: str, request_id: str, model: str) -> Authorization:
    """The hold this request already has; InsufficientCredits when it has none."""
    db = connections()
    with db.transaction() as tx:
        key = _lookup(tx, api_key, model)
        existing = tx.one("existing_hold", {"key_id": key.id, "request_id": request_id})
        if existing is None:
            raise InsufficientCredits()
        (held,) = tx.one("held", {"org_id": key.org_id}) or (0,)
        (balance,) = tx.one("balance", {"org_id": key.org_id}) or (0,)
    hold_id, amount, expires_at = existing
    return Authorization(hold_id, amount, int(balance - held), db.py_time(expires_at), key.currency)


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
    crosses the org's threshold (`Tx.step("usage")`). Never refused for lack of balance
    (the request already happened; the next authorize is). Idempotent on (key,
    request_id): a replay returns the first cost and debits nothing. Raises InvalidApiKey,
    NotFound (model), InvalidRequest (token counts outside 0..10⁹, unknown routing mode).
    """
    _check_request(request_id, model)
    _check_tokens(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    if routing_mode is not None and routing_mode not in RoutingMode.__members__.values():
        raise InvalidRequest("routing_mode must be 'auto' or 'tier'.", field="routing_mode")
    now = now or utcnow()
    db = connections()
    with db.hot() as tx:
        key = _lookup(tx, api_key, model)
        mode = routing_mode or key.mode
        cost = request_cost(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            input_micros_per_million=key.input_rate or 0,
            output_micros_per_million=key.output_rate or 0,
            mode=mode,
        )
        event_id, balance = tx.step(
            "usage",
            {
                "org_id": key.org_id,
                "key_id": key.id,
                "request_id": request_id,
                "model": model,
                "mode": mode,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "input_rate": key.input_rate,
                "output_rate": key.output_rate,
                "markup": markup_percent(mode),
                "cost": cost,
                "now": db.db_time(now),
                "day": db.db_day(ist_day(now)),
                "month": ist_month(now),
                "cutoff": db.db_time(now - ALERT_INTERVAL),
            },
        )
    if event_id is None:  # already debited: answer as the first time
        ids = {"key_id": key.id, "request_id": request_id}
        with db.transaction() as tx:
            (first_cost,) = tx.one("event_cost", ids) or (0,)
            (balance,) = tx.one("balance", {"org_id": key.org_id}) or (0,)
        return Debit(int(first_cost), int(balance), key.currency, replayed=True)
    return Debit(cost, int(balance), key.currency, replayed=False)


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
