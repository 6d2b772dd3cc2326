"""PostgreSQL's metering backend: a list of calls answered with one statement (usage,
sql/usage_batch.sql) or one pipelined transaction of two (authorize, sql/lock_holds.sql then
sql/place_holds.sql), exactly as the calls one by one would be. The statements take each
call's values as arrays, one per column, and work on the set; here the calls are looked up,
turned into arrays, and answered in order from the rows that come back. Per call this costs
the database a fraction of one statement per call (docs/benchmarks.md).

Two calls of a batch with the same key and request_id: only the first goes to the
database; the later one is answered as its repeat (authorize) or replay (usage) at its turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from billing_app.db import Connections, Tx
from billing_app.errors import BudgetExceeded, InsufficientCredits
from billing_app.services.alerts import ALERT_INTERVAL
from billing_app.services.metering import rules
from billing_app.services.metering.backend import Keys, expire_holds, hold_for, hold_mismatches, usage_for
from billing_app.services.metering.calls import Authorization, AuthorizeCall, Debit, Key, Stamped, UsageCall
from billing_app.services.metering.statements import postgres_statements

C = TypeVar("C", AuthorizeCall, UsageCall)
Row = TypeVar("Row", rules.HoldRow, rules.UsageRow)


class LockHoldsArgs(NamedTuple):
    """sql/lock_holds.sql's $1, $2."""

    org_id: list[int]
    created_at: list[datetime]


class PlaceHoldsArgs(NamedTuple):
    """sql/place_holds.sql's $1 … $8: the call's place, then rules.HoldRow's columns."""

    n: list[int]
    org_id: list[int]
    key_id: list[int]
    request_id: list[str]
    model: list[str]
    amount: list[int]
    created_at: list[datetime]
    expires_at: list[datetime]


class UsageBatchArgs(NamedTuple):
    """sql/usage_batch.sql's $1 … $17: the call's place, rules.UsageRow's columns, then the
    alert rule's moments."""

    n: list[int]
    org_id: list[int]
    key_id: list[int]
    request_id: list[str]
    model: list[str]
    mode: list[str]
    prompt_tokens: list[int]
    completion_tokens: list[int]
    input_rate: list[int]
    output_rate: list[int]
    markup: list[int]
    cost: list[int]
    created_at: list[datetime]
    day: list[date]
    month: list[int]
    cutoff: datetime
    now: datetime


@dataclass
class _Asked(Generic[Row]):
    """A call that goes to the database: its key and values."""

    key: Key
    row: Row


class _Batch(Generic[Row]):
    """The calls of a batch sorted out: answered already (an error), a repeat of an earlier
    call (same key and request_id), or asked of the database."""

    def __init__(self, size: int) -> None:
        self.answers: list[Any] = [None] * size
        self.asked: dict[int, _Asked[Row]] = {}  # by index, in the batch's order
        self.repeats: dict[int, int] = {}  # index → the index of the first call it repeats
        self._first: dict[tuple[int, str], int] = {}

    def keyed(self, tx: Tx, calls: list[Stamped[C]]) -> Iterator[tuple[int, Stamped[C], Key]]:
        """Each call with its key's row; a call whose key or model is unknown is answered
        with that refusal."""
        keys = Keys(tx, postgres_statements())
        for index, stamped in enumerate(calls):
            key = keys(stamped.call.api_key, stamped.call.model)
            if isinstance(key, Exception):
                self.answers[index] = key
            else:
                yield index, stamped, key

    def ask(self, index: int, key: Key, row: Row) -> None:
        first = self._first.setdefault((key.id, row.request_id), index)
        if first != index:
            self.repeats[index] = first
        else:
            self.asked[index] = _Asked(key, row)

    def columns(self) -> list[list[Any]]:
        """The call's place in the batch, then one list per column of the rows asked."""
        return [
            list(self.asked),
            *(list(column) for column in zip(*(ask.row for ask in self.asked.values()), strict=True)),
        ]


class PostgresBackend:
    def __init__(self, db: Connections) -> None:
        self.db = db
        self.sql = postgres_statements()

    def authorize(self, calls: list[Stamped[AuthorizeCall]]) -> list[Authorization | Exception]:
        """One transaction, one round trip after the key lookups: each org's expired holds
        off and its hold-total row locked (in org order), then the holds."""
        batch: _Batch[rules.HoldRow] = _Batch(len(calls))
        with self.db.autocommit() as tx:
            for index, stamped, key in batch.keyed(tx, calls):
                try:
                    rules.check_budget(key, stamped.now)
                except BudgetExceeded as error:
                    batch.answers[index] = error
                    continue
                batch.ask(index, key, hold_for(stamped, key))
            if not batch.asked:
                return batch.answers
            first_now: dict[int, datetime] = {}  # org → its first call's moment: the sweep's
            for ask in batch.asked.values():
                first_now.setdefault(ask.key.org_id, ask.row.now)
            orgs = sorted(first_now)
            rows = tx.atomically(
                (self.sql.lock_holds, LockHoldsArgs(orgs, [first_now[org] for org in orgs])),
                (self.sql.place_holds, PlaceHoldsArgs._make(batch.columns())),
            )
        return self._authorizations(batch, rows)

    def _authorizations(self, batch: _Batch[rules.HoldRow], rows: list[tuple[Any, ...]]) -> list[Any]:
        placed: dict[int, int] = {}
        existing: dict[int, tuple[int, int, datetime]] = {}
        funds: dict[int, rules.Funds] = {}  # org → balance and hold total so far
        for kind, number, value, amount, expires_at in rows:
            if kind == "placed":
                placed[number] = value
            elif kind == "existing":
                existing[number] = (value, amount, expires_at)
            else:
                funds[number] = rules.Funds(int(value), int(amount))
        asked, answers = batch.asked, batch.answers
        for index in range(len(answers)):
            if index in batch.repeats:  # the hold its first call got, if any, as it stands now
                first = answers[batch.repeats[index]]
                available = funds[asked[batch.repeats[index]].key.org_id].available
                answers[index] = (
                    replace(first, available_micros=available)
                    if isinstance(first, Authorization)
                    else InsufficientCredits()
                )
                continue
            ask = asked.get(index)
            if ask is None:
                continue  # answered with its error
            org = funds[ask.key.org_id]
            if index in existing:
                hold_id, amount, expires_at = existing[index]
                answers[index] = Authorization(
                    hold_id, amount, org.available, self.db.py_time(expires_at), ask.key.currency
                )
            elif index in placed:
                org.hold(ask.row.amount)
                answers[index] = Authorization(
                    placed[index], ask.row.amount, org.available, ask.row.expires_at, ask.key.currency
                )
            else:
                answers[index] = InsufficientCredits()
        return answers

    def record(self, calls: list[Stamped[UsageCall]]) -> list[Debit | Exception]:
        """One statement, one round trip after the key lookups."""
        batch: _Batch[rules.UsageRow] = _Batch(len(calls))
        with self.db.autocommit() as tx:
            for index, stamped, key in batch.keyed(tx, calls):
                batch.ask(index, key, usage_for(stamped, key))
            if not batch.asked:
                return batch.answers
            now = list(batch.asked.values())[-1].row.now  # the alert rule's moment
            rows = tx.all(self.sql.usage_batch, UsageBatchArgs._make([*batch.columns(), now - ALERT_INTERVAL, now]))
            return self._debits(tx, batch, rows)

    def _debits(self, tx: Tx, batch: _Batch[rules.UsageRow], rows: list[tuple[Any, ...]]) -> list[Any]:
        new: set[int] = set()
        first_costs: dict[int, int] = {}
        balance_now: dict[int, int] = {}  # per org: before the batch, then after each call
        for kind, number, value in rows:
            if kind == "new":
                new.add(number)
            elif kind == "replay":
                first_costs[number] = int(value)
            else:
                balance_now[number] = int(value)
        asked, answers = batch.asked, batch.answers
        for index in new:
            balance_now[asked[index].key.org_id] += asked[index].row.cost
        for index in range(len(answers)):
            first = batch.repeats.get(index, index)
            ask = asked.get(first)
            if ask is None:
                continue  # answered with its error
            org_id, usage = ask.key.org_id, ask.row
            if index == first and index in new:
                balance_now[org_id] -= usage.cost
                answers[index] = Debit(usage.cost, balance_now[org_id], ask.key.currency, replayed=False)
                continue
            if first in new:
                first_cost = usage.cost
            elif first in first_costs:
                first_cost = first_costs[first]
            else:  # its event was written by a call running beside this batch
                (first_cost,) = tx.one(
                    self.sql.event_cost, {"key_id": usage.key_id, "request_id": usage.request_id}
                ) or (0,)
                first_costs[first] = int(first_cost)
            answers[index] = Debit(int(first_cost), balance_now[org_id], ask.key.currency, replayed=True)
        return answers

    def expire_holds(self, now: datetime) -> int:
        return expire_holds(self.db, self.sql, now)

    def hold_mismatches(self) -> list[tuple[int, int, int]]:
        return hold_mismatches(self.db, self.sql)
