"""SQLite's metering backend: a list of calls in one `BEGIN IMMEDIATE` transaction, answered
exactly as the calls one by one would be. The transaction's fixed costs — BEGIN, COMMIT and
its WAL writes, the key lookup, the org's debit, the rollup and month-spend updates — are
shared by the calls (docs/metering.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_app.db import Connections, Tx
from billing_app.errors import BudgetExceeded, InsufficientCredits
from billing_app.services.alerts import ALERT_INTERVAL, alert_email
from billing_app.services.metering import rules
from billing_app.services.metering.backend import Keys, expire_holds, hold_for, hold_mismatches, usage_for
from billing_app.services.metering.calls import Authorization, AuthorizeCall, Debit, Key, Stamped, UsageCall
from billing_app.services.metering.statements import sqlite_statements


class SqliteBackend:
    def __init__(self, db: Connections) -> None:
        self.db = db
        self.sql = sqlite_statements()

    def _time(self, moment: datetime) -> str:
        return str(self.db.db_time(moment))

    def authorize(self, calls: list[Stamped[AuthorizeCall]]) -> list[Authorization | Exception]:
        """Per org (at its first call) its expired holds come off and its balance and hold
        total are read; per call, the checks and the hold, against the total so far
        (rules.Funds); then per org one hold-total update."""
        with self.db.transaction() as tx:
            keys = Keys(tx, self.sql)
            funds: dict[int, rules.Funds] = {}
            reserved: dict[int, int] = {}
            answers: list[Authorization | Exception] = []
            for stamped in calls:
                key = keys(stamped.call.api_key, stamped.call.model)
                if isinstance(key, Exception):
                    answers.append(key)
                    continue
                try:
                    rules.check_budget(key, stamped.now)
                except BudgetExceeded as error:
                    answers.append(error)
                    continue
                hold = hold_for(stamped, key)
                org = funds.get(key.org_id) or funds.setdefault(key.org_id, self._funds_after_sweep(tx, hold))
                placed = tx.one(self.sql.insert_hold, self._hold_values(hold)) if org.has_room else None
                if placed is None:  # a repeat, or no room: a repeat's hold stands even when there is no room now
                    answers.append(self._placed_hold(tx, key, hold.request_id, org.available))
                    continue
                org.hold(hold.amount)
                reserved[key.org_id] = reserved.get(key.org_id, 0) + hold.amount
                answers.append(Authorization(placed[0], hold.amount, org.available, hold.expires_at, key.currency))
            for org_id in sorted(reserved):
                tx.run(self.sql.reserve, {"org_id": org_id, "amount": reserved[org_id]})
            return answers

    def _hold_values(self, hold: rules.HoldRow) -> dict[str, Any]:
        return {**hold._asdict(), "now": self._time(hold.now), "expires_at": self._time(hold.expires_at)}

    def _funds_after_sweep(self, tx: Tx, hold: rules.HoldRow) -> rules.Funds:
        """The org's balance and hold total, after taking its expired holds off."""
        swept = sum(amount for (amount,) in tx.all(self.sql.sweep_org, self._hold_values(hold)))
        (held,) = tx.one(self.sql.reserve, {"org_id": hold.org_id, "amount": -swept}) or (0,)
        (balance,) = tx.one(self.sql.balance, {"org_id": hold.org_id}) or (0,)
        return rules.Funds(int(balance), int(held))

    def _placed_hold(self, tx: Tx, key: Key, request_id: str, available: int) -> Authorization | Exception:
        """The hold this request already has; InsufficientCredits when it has none."""
        existing = tx.one(self.sql.existing_hold, {"key_id": key.id, "request_id": request_id})
        if existing is None:
            return InsufficientCredits()
        hold_id, amount, expires_at = existing
        return Authorization(hold_id, amount, available, self.db.py_time(expires_at), key.currency)

    def record(self, calls: list[Stamped[UsageCall]]) -> list[Debit | Exception]:
        """Per call, the event (a replay inserts nothing) and its hold; then per org the hold
        release and one debit (deciding the alert), and the rollups (rules.rollup_rows) and
        month spends (rules.spend_runs) of the calls debited."""
        with self.db.transaction() as tx:
            keys = Keys(tx, self.sql)
            answers: list[_Event | Exception] = []
            released: dict[int, int] = {}
            debited: dict[int, list[rules.UsageRow]] = {}  # per org
            in_order: list[rules.UsageRow] = []
            for stamped in calls:
                key = keys(stamped.call.api_key, stamped.call.model)
                if isinstance(key, Exception):
                    answers.append(key)
                    continue
                usage = usage_for(stamped, key)
                values = {**usage._asdict(), "now": self._time(usage.now), "day": usage.day.isoformat()}
                replayed = tx.one(self.sql.insert_event, values) is None
                answers.append(_Event(key, usage, replayed))
                if replayed:
                    continue
                settled = tx.one(self.sql.settle_hold, values)
                if settled is not None:
                    released[settled[0]] = released.get(settled[0], 0) + settled[1]
                debited.setdefault(key.org_id, []).append(usage)
                in_order.append(usage)
            for org_id in sorted(released):
                tx.run(self.sql.release, {"org_id": org_id, "amount": released[org_id]})
            balance_now = {org_id: self._debit(tx, org_id, usages) for org_id, usages in debited.items()}
            for rollup in rules.rollup_rows(in_order):
                tx.run(self.sql.rollup, {**rollup._asdict(), "day": rollup.day.isoformat()})
            for run in rules.spend_runs(in_order):
                tx.run(self.sql.key_spend, {**run._asdict(), "last_used_at": self._time(run.last_used_at)})
            return [
                answer if isinstance(answer, Exception) else self._answer(tx, answer, balance_now) for answer in answers
            ]

    def _debit(self, tx: Tx, org_id: int, usages: list[rules.UsageRow]) -> int:
        """One debit of the org's usages, deciding the low-balance alert after it; the balance
        before the batch (each call's answer is its balance right after its own debit)."""
        total = sum(usage.cost for usage in usages)
        (balance,) = tx.one(self.sql.debit_balance, {"org_id": org_id, "cost": total}) or (0,)
        now = usages[-1].now
        decided = tx.one(
            self.sql.decide_alert,
            {"org_id": org_id, "now": self._time(now), "cutoff": self._time(now - ALERT_INTERVAL)},
        )
        if decided is not None:
            tx.run(self.sql.queue_alert, alert_email(org_id, decided, self._time(now)))
        return int(balance) + total

    def _answer(self, tx: Tx, event: _Event, balance_now: dict[int, int]) -> Debit:
        """The call's answer as at its turn in the batch: its balance right after its own debit;
        a replay, its first cost and the balance then."""
        org_id, usage = event.key.org_id, event.usage
        if not event.replayed:
            balance_now[org_id] -= usage.cost
            return Debit(usage.cost, balance_now[org_id], event.key.currency, replayed=False)
        (first_cost,) = tx.one(self.sql.event_cost, {"key_id": usage.key_id, "request_id": usage.request_id}) or (0,)
        balance = balance_now.get(org_id)
        if balance is None:  # nothing of this org's was debited in the batch
            (balance,) = tx.one(self.sql.balance, {"org_id": org_id}) or (0,)
        return Debit(int(first_cost), int(balance), event.key.currency, replayed=True)

    def expire_holds(self, now: datetime) -> int:
        return expire_holds(self.db, self.sql, now)

    def hold_mismatches(self) -> list[tuple[int, int, int]]:
        return hold_mismatches(self.db, self.sql)


@dataclass(frozen=True)
class _Event:
    """A call whose event was inserted, or found already there (a replay)."""

    key: Key
    usage: rules.UsageRow
    replayed: bool
