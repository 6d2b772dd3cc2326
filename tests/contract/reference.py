"""A pure in-memory reference model of metering: authorize, usage and hold expiry, one call
at a time, as docs/metering.md states the rules. No database, no batching and none of the
package's own code beyond the money and IST helpers: the contract suite's oracle.

Answers are `outcome`s: ("hold", amount, available, expires_at), ("debit", cost, balance,
replayed), or the name of the error's class."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from billing_app.ist import ist_day, to_ist
from billing_app.money import request_cost_micros

ALERT_INTERVAL = timedelta(hours=24)


@dataclass
class Key:
    id: int
    org_id: int
    budget: int | None
    active: bool = True
    spend_month: int = 0
    spent: int = 0


@dataclass
class Org:
    balance: int
    threshold: int | None = None
    mode: str = "auto"
    last_alert: datetime | None = None
    alerts: int = 0


@dataclass
class Hold:
    org_id: int
    amount: int
    expires_at: datetime


@dataclass
class Reference:
    rates: dict[str, tuple[int, int]]  # model → micros per million tokens in, out
    markups: dict[str, int]  # routing mode → percent
    ttl: timedelta
    default_max_tokens: int
    orgs: dict[int, Org] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)  # by secret
    holds: dict[tuple[int, str], Hold] = field(default_factory=dict)  # by (key id, request id)
    events: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)  # → (org id, cost)
    rollups: dict[tuple[int, str, int, str], list[int]] = field(default_factory=dict)

    def _cost(self, model: str, prompt: int, completion: int, mode: str) -> int:
        rate_in, rate_out = self.rates[model]
        return request_cost_micros(
            prompt_tokens=prompt,
            completion_tokens=completion,
            input_micros_per_million=rate_in,
            output_micros_per_million=rate_out,
            markup_percent=self.markups[mode],
        )

    def _key(self, secret: str, model: str) -> Key | str:
        key = self.keys.get(secret)
        if key is None or not key.active:
            return "InvalidApiKey"
        if model not in self.rates:
            return "NotFound"
        return key

    def _held(self, org_id: int) -> int:
        return sum(hold.amount for hold in self.holds.values() if hold.org_id == org_id)

    def authorize(
        self, secret: str, request_id: str, model: str, max_tokens: int | None, prompt: int | None, now: datetime
    ) -> Any:
        key = self._key(secret, model)
        if isinstance(key, str):
            return key
        spent = key.spent if key.spend_month == _month(now) else 0
        if key.budget is not None and spent >= key.budget:
            return "BudgetExceeded"
        org = self.orgs[key.org_id]
        for at, hold in list(self.holds.items()):  # the org's expired holds stop counting
            if hold.org_id == key.org_id and hold.expires_at <= now:
                del self.holds[at]
        available = org.balance - self._held(key.org_id)
        existing = self.holds.get((key.id, request_id))
        if existing is not None:
            return ("hold", existing.amount, available, existing.expires_at)
        if available <= 0:
            return "InsufficientCredits"
        completion = self.default_max_tokens if max_tokens is None else max_tokens
        amount = self._cost(model, prompt or 0, completion, org.mode)
        self.holds[key.id, request_id] = Hold(key.org_id, amount, now + self.ttl)
        return ("hold", amount, available - amount, now + self.ttl)

    def record(
        self, secret: str, request_id: str, model: str, prompt: int, completion: int, mode: str | None, now: datetime
    ) -> Any:
        key = self._key(secret, model)
        if isinstance(key, str):
            return key
        org = self.orgs[key.org_id]
        first = self.events.get((key.id, request_id))
        if first is not None:
            return ("debit", first[1], org.balance, True)
        cost = self._cost(model, prompt, completion, mode or org.mode)
        self.events[key.id, request_id] = (key.org_id, cost)
        self.holds.pop((key.id, request_id), None)
        org.balance -= cost
        if (
            org.threshold is not None
            and org.balance < org.threshold
            and (org.last_alert is None or org.last_alert <= now - ALERT_INTERVAL)
        ):
            org.last_alert, org.alerts = now, org.alerts + 1
        sums = self.rollups.setdefault((key.org_id, ist_day(now).isoformat(), key.id, model), [0, 0, 0, 0])
        for i, value in enumerate((1, prompt, completion, cost)):
            sums[i] += value
        month = _month(now)
        key.spent = key.spent + cost if key.spend_month == month else cost
        key.spend_month = month
        return ("debit", cost, org.balance, False)

    def expire(self, now: datetime) -> int:
        expired = [at for at, hold in self.holds.items() if hold.expires_at <= now]
        for at in expired:
            del self.holds[at]
        return len(expired)

    def books(self, org_id: int) -> dict[str, Any]:
        """What the contract suite reads back from the database for the org (`db_books`)."""
        holds = [hold.amount for hold in self.holds.values() if hold.org_id == org_id]
        costs = [cost for org, cost in self.events.values() if org == org_id]
        keys = sorted((key for key in self.keys.values() if key.org_id == org_id), key=lambda key: key.id)
        rollups = sorted((at[1], at[3], at[2], *sums) for at, sums in self.rollups.items() if at[0] == org_id)
        return {
            "balance": self.orgs[org_id].balance,
            "hold total": sum(holds),
            "holds": (len(holds), sum(holds)),
            "events": (len(costs), sum(costs)),
            "rollups": [(day, model, *sums) for day, model, _, *sums in rollups],
            "month spend": [(key.spent, key.spend_month) for key in keys],
            "alerts": self.orgs[org_id].alerts,
        }


def _month(moment: datetime) -> int:
    local = to_ist(moment)
    return local.year * 100 + local.month
