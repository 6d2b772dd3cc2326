"""PostgreSQL's side of metering: a list of calls answered with one statement (usage) or one
pipelined transaction of two statements (authorize), exactly as the calls one by one would
be (`metering.authorize_many`, `metering.record_usages`). The statements take each call's
values as arrays and work on the set (metering_statements.py: "PostgreSQL: a batch a
statement"); here the calls are checked, turned into arrays, and answered from the rows
that come back, in order.

Two calls of a batch with the same key and request_id: only the first goes to the
database; the later one is answered as its repeat (authorize) or replay (usage) at its turn.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from billing_app.errors import BudgetExceeded, InsufficientCredits
from billing_app.services.metering_arrays import Int8Array, MomentArray, typed
from billing_app.services.metering_calls import (
    Authorization,
    AuthorizeCall,
    Debit,
    Key,
    UsageCall,
    check_budget,
    hold_params,
    key_for,
    moment,
    usage_params,
)
from billing_app.services.metering_sql import Connections, Tx
from billing_app.services.metering_statements import HOLD_COLUMNS, USAGE_COLUMNS

C = TypeVar("C", AuthorizeCall, UsageCall)


@dataclass
class _Asked:
    """A call that goes to the database: its place in the batch, key and values."""

    index: int
    key: Key
    params: dict[str, Any]


class _Batch:
    """The calls of a batch sorted out: answered already (an error), a repeat of an earlier
    call (same key and request_id), or asked of the database."""

    def __init__(self, size: int) -> None:
        self.answers: list[Any] = [None] * size
        self.asked: dict[int, _Asked] = {}  # by index, in the batch's order
        self.repeats: dict[int, int] = {}  # index → the index of the first call it repeats
        self._first: dict[tuple[int, str], int] = {}

    def keyed(self, tx: Tx, calls: Sequence[C]) -> Iterator[tuple[int, C, Key]]:
        """Each call with its key's row (one lookup per key and model); a call whose key or
        model is unknown is answered with that refusal."""
        keys: dict[tuple[str, str], Key | Exception] = {}
        for index, call in enumerate(calls):
            key = key_for(tx, keys, call.api_key, call.model)
            if isinstance(key, Exception):
                self.answers[index] = key
            else:
                yield index, call, key

    def ask(self, index: int, key: Key, params: dict[str, Any]) -> None:
        first = self._first.setdefault((key.id, params["request_id"]), index)
        if first != index:
            self.repeats[index] = first
        else:
            self.asked[index] = _Asked(index, key, params)

    def arrays(self, columns: dict[str, str], **renamed: str) -> dict[str, list[Any]]:
        """One array per column of the statement's `call` rows (`n` is the call's index),
        typed by the column's kind (metering_arrays.py)."""
        arrays = {
            column: typed(kind, [ask.params[renamed.get(column, column)] for ask in self.asked.values()])
            for column, kind in columns.items()
            if column != "n"
        }
        return {"n": Int8Array(self.asked), **arrays}


def authorize_pg(db: Connections, calls: Sequence[AuthorizeCall]) -> list[Authorization | Exception]:
    """PostgreSQL: the calls in one transaction, one round trip after the key lookups: each
    org's expired holds off and its hold-total row locked (in org order), then the holds."""
    batch = _Batch(len(calls))
    with db.autocommit() as tx:
        for index, call, key in batch.keyed(tx, calls):
            now = moment(call)
            try:
                check_budget(key, now)
            except BudgetExceeded as error:
                batch.answers[index] = error
                continue
            batch.ask(index, key, hold_params(db, key, call, now))
        if not batch.asked:
            return batch.answers
        first_now: dict[int, Any] = {}  # org → its first call's moment: the sweep's
        for ask in batch.asked.values():
            first_now.setdefault(ask.key.org_id, ask.params["now"])
        orgs = sorted(first_now)
        rows = tx.atomically(
            ("lock_holds", {"org_id": Int8Array(orgs), "created_at": MomentArray(first_now[org] for org in orgs)}),
            ("place_holds", batch.arrays(HOLD_COLUMNS, created_at="now")),
        )
    return _authorizations(db, batch, rows)


def _authorizations(db: Connections, batch: _Batch, rows: list[tuple[Any, ...]]) -> list[Authorization | Exception]:
    placed: dict[int, int] = {}
    existing: dict[int, tuple[int, int, datetime]] = {}
    funds: dict[int, list[int]] = {}  # org → [balance, hold total so far]
    for kind, number, value, amount, expires_at in rows:
        if kind == "placed":
            placed[number] = value
        elif kind == "existing":
            existing[number] = (value, amount, expires_at)
        else:
            funds[number] = [int(value), int(amount)]
    asked, answers = batch.asked, batch.answers
    for index in range(len(answers)):
        if index in batch.repeats:  # the hold its first call got, if any, as it stands now
            first = answers[batch.repeats[index]]
            balance, held = funds[asked[batch.repeats[index]].key.org_id]
            answers[index] = (
                replace(first, available_micros=balance - held)
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
            answers[index] = Authorization(hold_id, amount, org[0] - org[1], db.py_time(expires_at), ask.key.currency)
        elif index in placed:
            org[1] += ask.params["amount"]
            answers[index] = Authorization(
                placed[index],
                ask.params["amount"],
                org[0] - org[1],
                db.py_time(ask.params["expires_at"]),
                ask.key.currency,
            )
        else:
            answers[index] = InsufficientCredits()
    return answers


def record_pg(db: Connections, calls: Sequence[UsageCall]) -> list[Debit | Exception]:
    """PostgreSQL: the calls in one statement (one round trip after the key lookups)."""
    batch = _Batch(len(calls))
    with db.autocommit() as tx:
        for index, call, key in batch.keyed(tx, calls):
            batch.ask(index, key, usage_params(db, key, call))
        if not batch.asked:
            return batch.answers
        last = list(batch.asked.values())[-1].params  # the alert rule's moment
        arrays = batch.arrays(USAGE_COLUMNS, created_at="now")
        rows = tx.all("usage_batch", {**arrays, "now": last["now"], "cutoff": last["cutoff"]})
        return _debits(tx, batch, rows)


def _debits(tx: Tx, batch: _Batch, rows: list[tuple[Any, ...]]) -> list[Debit | Exception]:
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
        balance_now[asked[index].key.org_id] += asked[index].params["cost"]
    for index in range(len(answers)):
        first = batch.repeats.get(index, index)
        ask = asked.get(first)
        if ask is None:
            continue  # answered with its error
        org_id = ask.key.org_id
        if index == first and index in new:
            balance_now[org_id] -= ask.params["cost"]
            answers[index] = Debit(ask.params["cost"], balance_now[org_id], ask.key.currency, replayed=False)
            continue
        if first in new:
            first_cost = ask.params["cost"]
        elif first in first_costs:
            first_cost = first_costs[first]
        else:  # its event was written by a call running beside this batch
            (first_cost,) = tx.one("event_cost", ask.params) or (0,)
            first_costs[first] = int(first_cost)
        answers[index] = Debit(int(first_cost), balance_now[org_id], ask.key.currency, replayed=True)
    return answers
