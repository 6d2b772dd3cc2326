"""Metering's calls: check a request before it runs and hold its estimated cost
(`authorize`), debit it once it has run (`record_usage`), the `*_many` forms that answer a
list of calls at once, and the housekeeping (`expire_holds`, `hold_mismatches`).

Here the calls are checked and stamped with their moment, then answered by the database's
backend (sqlite.py, postgres.py) as a list; if the database fails the list, each call is
made again on its own, so one call's data (or a deadlock) cannot fail the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from billing_app.context import AppContext, Resource, context
from billing_app.db.raw import CONNECTIONS
from billing_app.errors import BillingAppError, InvalidRequest
from billing_app.models import RoutingMode
from billing_app.models.types import utcnow
from billing_app.services.metering.backend import MeteringBackend
from billing_app.services.metering.calls import Authorization, AuthorizeCall, C, Debit, Stamped, UsageCall, stamp
from billing_app.services.metering.postgres import PostgresBackend
from billing_app.services.metering.sqlite import SqliteBackend

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_TOKENS = 10**9
MAX_REQUEST_ID = 100


def _build_backend(ctx: AppContext) -> MeteringBackend:
    db = ctx.get(CONNECTIONS)
    return SqliteBackend(db) if db.is_sqlite else PostgresBackend(db)


BACKEND: Resource[MeteringBackend] = Resource("metering_backend", _build_backend)


def backend() -> MeteringBackend:
    """The backend of this context's database."""
    return context().get(BACKEND)


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
    alone would have raised; the same as making the calls one by one, sharing the
    database's work (one transaction on SQLite, one round trip on PostgreSQL)."""
    return _answer_all(calls, _check_authorize, lambda batch: backend().authorize(batch))


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
    error it alone would have raised. The same as making the calls one by one, sharing the
    database's work (one debit per org, one rollup update per row, one month-spend update
    per key)."""
    return _answer_all(calls, _check_usage, lambda batch: backend().record(batch))


def expire_holds(*, now: datetime | None = None) -> int:
    """Delete holds past their expiry and take them off their orgs' hold totals, in
    batches; returns how many. (Authorize already ignores its own org's expired holds;
    this tidies up after orgs that went quiet.) Safe anywhere, any number of times."""
    return backend().expire_holds(now or utcnow())


def hold_mismatches() -> list[tuple[int, int, int]]:
    """(org_id, hold total, Σ its holds) for every org where the two disagree: they move
    together in every transaction, so this is empty unless something bypassed them."""
    return backend().hold_mismatches()


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


def _check_authorize(call: AuthorizeCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(max_tokens=call.max_tokens, prompt_tokens=call.prompt_tokens)


def _check_usage(call: UsageCall) -> None:
    _check_request(call.request_id, call.model)
    _check_tokens(prompt_tokens=call.prompt_tokens, completion_tokens=call.completion_tokens)
    if call.routing_mode is not None and call.routing_mode not in RoutingMode.__members__.values():
        raise InvalidRequest("routing_mode must be 'auto' or 'tier'.", field="routing_mode")


def _answer_all(
    calls: Sequence[C],
    check: Callable[[C], None],
    answer: Callable[[list[Stamped[C]]], list[T | Exception]],
) -> list[T | Exception]:
    """Each call's answer or error, in order: the valid calls together, stamped with one
    moment; if the database fails them, each call again on its own."""
    answers: dict[int, T | Exception] = {}
    valid: list[int] = []
    for index, call in enumerate(calls):
        try:
            check(call)
            valid.append(index)
        except BillingAppError as error:
            answers[index] = error
    batch = stamp([calls[index] for index in valid], utcnow())
    done: list[T | Exception]
    if len(batch) <= 1:  # (a database error raises, as any single call's would)
        done = answer(batch) if batch else []
    else:
        try:
            done = answer(batch)
        except Exception as failed:  # one call's data the database refuses, or a deadlock between workers
            log.warning("metering: a batch of %d calls failed (%r); making each call on its own", len(batch), failed)
            done = []
            for one in batch:
                try:
                    done.extend(answer([one]))
                except Exception as error:
                    done.append(error)
    answers.update(zip(valid, done, strict=True))
    return [answers[index] for index in range(len(calls))]


def _only(answers: list[T | Exception]) -> T:
    (answer,) = answers
    if isinstance(answer, Exception):
        raise answer
    return answer
