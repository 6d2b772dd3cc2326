"""The metering hot path: `authorize` before an API request, `record_usage` after it, and
their list forms, `authorize_many` and `record_usages`, which the async routes batch.

Statements are built once (metering_statements.py) and run on raw DBAPI connections
(metering_sql.py); no ORM session. A list of calls is answered exactly as the calls one by
one would be: on SQLite in one transaction of plain statements (metering_sqlite.py), on
PostgreSQL by statements that take the calls' values as arrays (metering_postgres.py).
Either way the balance moves in the same transaction as the usage row, the per-IST-day
rollup and the key's month spend.

Holds: each authorize inserts a hold row and adds its estimate to the org's hold total
(one row, `hold_total`), whose row lock serialises the hold changes of one org on
PostgreSQL (SQLite's BEGIN IMMEDIATE serialises every writer); the balance is read after
that lock is taken. So concurrent authorizes see each other's holds and none is granted
once balance − holds ≤ 0. Usage deletes the request's hold and takes it off the total in
its transaction; expired holds come off at the org's next authorize or by jobs/holds.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from billing_app.errors import BillingAppError, InvalidRequest
from billing_app.models import RoutingMode
from billing_app.models.types import utcnow
from billing_app.services.metering_calls import Authorization, AuthorizeCall, Debit, UsageCall, stamped
from billing_app.services.metering_postgres import authorize_pg, record_pg
from billing_app.services.metering_sql import Connections, Tx, connections
from billing_app.services.metering_sqlite import authorize_in, record_in
from billing_app.services.metering_statements import EXPIRE_BATCH

T = TypeVar("T")
log = logging.getLogger(__name__)

__all__ = [
    "MAX_REQUEST_ID",
    "MAX_TOKENS",
    "Authorization",
    "AuthorizeCall",
    "Debit",
    "UsageCall",
    "authorize",
    "authorize_many",
    "expire_holds",
    "hold_mismatches",
    "record_usage",
    "record_usages",
]

MAX_TOKENS = 10**9
MAX_REQUEST_ID = 100


def _check_request(request_id: str, model: str) -> None:
    if not request_id or len(request_id) > MAX_REQUEST_ID:
        raise InvalidRequest(f"request_id must be 1 to {MAX_REQUEST_ID} characters.", field="request_id")
    if not model:
        raise InvalidRequest("model is required.", field="model")
    # PostgreSQL text cannot hold NUL (the statement would fail: a 500); refused on SQLite too.
    for field, value in (("request_id", request_id), ("model", model)):
        if "\x00" in value:
            raise InvalidRequest(f"{field} must not contain a NUL character.", field=field)


def _check_tokens(**counts: int | None) -> None:
    for field, value in counts.items():
        if value is not None and (isinstance(value, bool) or not 0 <= value <= MAX_TOKENS):
            raise InvalidRequest(f"{field} must be an integer from 0 to {MAX_TOKENS}.", field=field)


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
    one transaction: one sweep and one balance read per org, one hold-total update per org;
    on PostgreSQL, one pipelined transaction of two statements."""
    return _answer_all(stamped(calls, utcnow()), _check_authorize, authorize_in, authorize_pg)


def _check_authorize(call: AuthorizeCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(max_tokens=call.max_tokens, prompt_tokens=call.prompt_tokens)


Call = TypeVar("Call")


def _answer_all(
    calls: Sequence[Call],
    check: Callable[[Call], None],
    on_sqlite: Callable[[Tx, Connections, list[Call]], list[T | Exception]],
    on_postgres: Callable[[Connections, list[Call]], list[T | Exception]],
) -> list[T | Exception]:
    """Each call's answer or error, in order. The valid calls together: on SQLite in one
    transaction, on PostgreSQL in one atomic step. If the database fails them, each call again
    on its own, so one call's data (or a deadlock) cannot fail the others. The calls come
    stamped with their moment (`metering_calls.stamped`): the paths read no clock of their own."""
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

    def together(calls: list[Call]) -> list[T | Exception]:
        if not db.is_sqlite:
            return on_postgres(db, calls)
        with db.transaction() as tx:
            return on_sqlite(tx, db, calls)

    done: list[T | Exception]
    if len(batch) <= 1:  # (a database error raises, as any single call's would)
        done = together(batch) if batch else []
    else:
        try:
            done = together(batch)
        except Exception as failed:
            # (one call's data the database refuses, or a deadlock between two workers' batches)
            log.warning("metering: a batch of %d calls failed (%r); making each call on its own", len(batch), failed)
            done = []
            for call in batch:  # one call's data must not fail the others: each on its own
                try:
                    done.extend(together([call]))
                except Exception as error:
                    done.append(error)
    answers.update((index, answer) for (index, _), answer in zip(valid, done, strict=True))
    return [answers[index] for index in range(len(calls))]


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
    model) and one month-spend update per key; on PostgreSQL, one statement."""
    return _answer_all(stamped(calls, utcnow()), _check_usage, record_in, record_pg)


def _only(answers: list[T | Exception]) -> T:
    (answer,) = answers
    if isinstance(answer, Exception):
        raise answer
    return answer


def _check_usage(call: UsageCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens)
    if call.routing_mode is not None and call.routing_mode not in RoutingMode.__members__.values():
        raise InvalidRequest("routing_mode must be 'auto' or 'tier'.", field="routing_mode")


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
