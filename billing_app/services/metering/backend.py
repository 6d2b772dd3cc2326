"""What a metering backend does (`MeteringBackend`), and what both backends share: the key
lookup, once per (key, model) in a batch, and the settings the rules take."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from billing_app.config import get_settings
from billing_app.db import Connections, Tx
from billing_app.errors import BillingAppError, InvalidApiKey, NotFound
from billing_app.services.metering import rules
from billing_app.services.metering.calls import Authorization, AuthorizeCall, Debit, Key, Stamped, UsageCall
from billing_app.services.metering.statements import EXPIRE_BATCH, CommonStatements
from billing_app.services.pricing import markup_percent


class MeteringBackend(Protocol):
    """A list of calls answered exactly as the calls one by one would be: each call's answer
    or its own error, in order. A database error raises (the service then makes each call
    again on its own)."""

    def authorize(self, calls: list[Stamped[AuthorizeCall]]) -> list[Authorization | Exception]: ...

    def record(self, calls: list[Stamped[UsageCall]]) -> list[Debit | Exception]: ...

    def expire_holds(self, now: datetime) -> int:
        """Delete holds expired at `now` and take them off their orgs' totals; how many."""
        ...

    def hold_mismatches(self) -> list[tuple[int, int, int]]:
        """(org_id, hold total, Σ its holds) for every org where the two disagree."""
        ...


class Keys:
    """The batch's API keys, each looked up once per (key, model): its row, or the refusal
    that is the call's answer (unknown or revoked key, model not in the catalog)."""

    def __init__(self, tx: Tx, statements: CommonStatements) -> None:
        self._tx, self._statement = tx, statements.key
        self._found: dict[tuple[str, str], Key | BillingAppError] = {}

    def __call__(self, api_key: str, model: str) -> Key | BillingAppError:
        found = self._found.get((api_key, model))
        if found is None:
            found = self._found[api_key, model] = self._lookup(api_key, model)
        return found

    def _lookup(self, api_key: str, model: str) -> Key | BillingAppError:
        row = self._tx.one(self._statement, {"key_hash": rules.hash_key(api_key), "model": model})
        if row is None:
            return InvalidApiKey()
        key = Key._make(row)
        if key.input_rate is None or key.output_rate is None:
            return NotFound(f"The model '{model}' is not in the catalog (GET /v1/models lists it).", field="model")
        return key


def hold_ttl() -> timedelta:
    return timedelta(seconds=get_settings().hold_ttl_seconds)


def hold_for(stamped: Stamped[AuthorizeCall], key: Key) -> rules.HoldRow:
    """The hold a call asks for, its amount estimated at the org's mode."""
    default = get_settings().hold_default_max_tokens
    amount = rules.estimate(stamped.call, key, default_max_tokens=default, markup=markup_percent(key.mode))
    return rules.hold_row(stamped, key, amount=amount, ttl=hold_ttl())


def usage_for(stamped: Stamped[UsageCall], key: Key) -> rules.UsageRow:
    """The usage event of a call, at its routing mode (the org's when it names none)."""
    mode = stamped.call.routing_mode or key.mode
    return rules.usage_row(stamped, key, mode, markup_percent(mode))


def expire_holds(db: Connections, sql: CommonStatements, now: datetime) -> int:
    """Both backends: expired holds off, in batches of EXPIRE_BATCH (a backlog never holds
    SQLite's one writer lock for long), each org's total once per batch, in org order (two
    sweepers never deadlock)."""
    moment = db.db_time(now)
    total = 0
    while True:
        with db.transaction() as tx:
            rows = tx.all(sql.expire_holds, {"now": moment})
            per_org: dict[int, int] = {}
            for org_id, amount in rows:
                per_org[org_id] = per_org.get(org_id, 0) + amount
            for org_id in sorted(per_org):
                tx.run(sql.release, {"org_id": org_id, "amount": per_org[org_id]})
        total += len(rows)
        if len(rows) < EXPIRE_BATCH:
            return total


def hold_mismatches(db: Connections, sql: CommonStatements) -> list[tuple[int, int, int]]:
    with db.transaction() as tx:
        return [(int(o), int(t), int(h)) for o, t, h in tx.all(sql.hold_audit, {})]
