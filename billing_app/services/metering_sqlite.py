"""SQLite's side of metering: a list of calls answered in one transaction, exactly as the
calls one by one would be (`metering.authorize_many`, `metering.record_usages`). The
transaction's fixed costs — BEGIN, COMMIT and its WAL writes, the key lookup, the org's
debit, the rollup and month-spend updates — are shared by the calls (docs/metering.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from billing_app.errors import BillingAppError, BudgetExceeded, InsufficientCredits
from billing_app.services.alerts import queue_alert_sqlite
from billing_app.services.metering_calls import (
    Authorization,
    AuthorizeCall,
    Debit,
    Key,
    UsageCall,
    check_budget,
    expiry,
    hold_params,
    key_for,
    moment,
    outcome,
    usage_params,
)
from billing_app.services.metering_sql import Connections, Tx


def authorize_in(tx: Tx, db: Connections, calls: Sequence[AuthorizeCall]) -> list[Authorization | Exception]:
    """SQLite: the calls in the caller's transaction. Per org (at its first call) its expired
    holds come off and its balance and hold total are read; per call, the checks and the
    hold, against the total so far; then per org one hold-total update."""
    keys: dict[tuple[str, str], Key | Exception] = {}
    funds: dict[int, list[int]] = {}  # org → [balance, hold total so far]
    reserved: dict[int, int] = {}
    answers: list[Authorization | Exception] = []
    for call in calls:
        key = key_for(tx, keys, call.api_key, call.model)
        if isinstance(key, Exception):
            answers.append(key)
            continue
        now = moment(call)
        try:
            check_budget(key, now)
        except BudgetExceeded as error:
            answers.append(error)
            continue
        params = hold_params(db, key, call, now)
        org = funds.get(key.org_id)
        if org is None:
            org = funds[key.org_id] = _funds_after_sweep(tx, params)
        balance, held = org
        placed = tx.one("insert_hold", params) if balance - held > 0 else None
        if placed is None:  # a repeat, or no room: a repeat's hold stands even when there is no room now
            answers.append(outcome(_placed_hold, tx, db, key, call.request_id, balance - held, errors=BillingAppError))
            continue
        org[1] += params["amount"]
        reserved[key.org_id] = reserved.get(key.org_id, 0) + params["amount"]
        answers.append(Authorization(placed[0], params["amount"], balance - org[1], expiry(now), key.currency))
    for org_id in sorted(reserved):
        tx.run("reserve", {"org_id": org_id, "amount": reserved[org_id]})
    return answers


def _funds_after_sweep(tx: Tx, params: dict[str, Any]) -> list[int]:
    """[balance, hold total] of the org, after taking its expired holds off."""
    swept = sum(amount for (amount,) in tx.all("sweep_org", params))
    (held,) = tx.one("reserve", {"org_id": params["org_id"], "amount": -swept}) or (0,)
    (balance,) = tx.one("balance", params) or (0,)
    return [int(balance), int(held)]


def _placed_hold(tx: Tx, db: Connections, key: Key, request_id: str, available: int) -> Authorization:
    """The hold this request already has; InsufficientCredits when it has none."""
    existing = tx.one("existing_hold", {"key_id": key.id, "request_id": request_id})
    if existing is None:
        raise InsufficientCredits()
    hold_id, amount, expires_at = existing
    return Authorization(hold_id, amount, int(available), db.py_time(expires_at), key.currency)


def record_in(tx: Tx, db: Connections, calls: Sequence[UsageCall]) -> list[Debit | Exception]:
    """SQLite: the calls in the caller's transaction. Per call, the event (a replay inserts
    nothing) and its hold; then per org the hold release and one debit (deciding the
    alert), per (org, day, key, model) one rollup update and per (key, month) one
    month-spend update, with the calls' sums."""
    keys: dict[tuple[str, str], Key | Exception] = {}
    answers: list[_Event | Exception] = []
    released: dict[int, int] = {}
    debits: dict[int, list[dict[str, Any]]] = {}
    rollups: dict[tuple[Any, ...], dict[str, Any]] = {}
    spends: list[dict[str, Any]] = []  # per key, one row per run of calls in one IST month
    for call in calls:
        found = key_for(tx, keys, call.api_key, call.model)
        if isinstance(found, Exception):
            answers.append(found)
            continue
        params = usage_params(db, found, call)
        replayed = tx.one("insert_event", params) is None
        answers.append(_Event(found, params, replayed))
        if replayed:
            continue
        settled = tx.one("settle_hold", params)
        if settled is not None:
            released[settled[0]] = released.get(settled[0], 0) + settled[1]
        debits.setdefault(found.org_id, []).append(params)
        _add_to_rollup(rollups, params)
        _add_spend(spends, params)
    for org_id in sorted(released):
        tx.run("release", {"org_id": org_id, "amount": released[org_id]})
    balance_now: dict[int, int] = {}  # per debited org: before the batch, then after each call
    for org_id, rows in debits.items():
        total = sum(row["cost"] for row in rows)
        (balance,) = tx.one("debit_balance", {"org_id": org_id, "cost": total}) or (0,)
        queue_alert_sqlite(tx.cursor, org_id=org_id, now=rows[-1]["now"], cutoff=rows[-1]["cutoff"])
        balance_now[org_id] = int(balance) + total
    for row in rollups.values():
        tx.run("rollup", row)
    for row in spends:
        tx.run("key_spend", row)
    return [answer if isinstance(answer, Exception) else _debit(tx, answer, balance_now) for answer in answers]


@dataclass(frozen=True)
class _Event:
    """A call whose event was inserted, or found already there (a replay)."""

    key: Key
    params: dict[str, Any]
    replayed: bool


def _debit(tx: Tx, event: _Event, balance_now: dict[int, int]) -> Debit:
    """The call's answer as at its turn in the batch: its balance right after its own debit;
    a replay, its first cost and the balance then."""
    org_id = event.key.org_id
    if not event.replayed:
        balance_now[org_id] -= event.params["cost"]
        return Debit(event.params["cost"], balance_now[org_id], event.key.currency, replayed=False)
    (first_cost,) = tx.one("event_cost", event.params) or (0,)
    balance = balance_now.get(org_id)
    if balance is None:  # nothing of this org's was debited in the batch
        (balance,) = tx.one("balance", event.params) or (0,)
    return Debit(int(first_cost), int(balance), event.key.currency, replayed=True)


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
