"""Metering's billing rules, as pure functions: no database, no clock, no settings. Both
backends and the reference model of the contract suite (tests/contract) use them, and the
Keys page uses `month_spend`. A rule changes here.

(PostgreSQL's batch statement, metering/sql/usage_batch.sql, restates the grouping rules
— rollup rows, month-spend runs, holds placed in order — over the rows it inserted; the
contract suite holds both backends to the reference model.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from billing_app.errors import BudgetExceeded
from billing_app.ist import ist_day, to_ist
from billing_app.money import request_cost_micros
from billing_app.services.metering.calls import AuthorizeCall, Key, Stamped, UsageCall
from billing_app.services.tokens import hash_token


def hash_key(secret: str) -> str:
    """What the database stores of an API key: keys are 192 random bits, so a fast hash is as
    good as a slow one and keeps the hot path cheap (the one hash of every bearer secret)."""
    return hash_token(secret)


def ist_month(moment: datetime) -> int:
    """YYYYMM of the IST calendar month containing `moment` (the budget window)."""
    local = to_ist(moment)
    return local.year * 100 + local.month


def month_spend(spend_month: int, spent: int, now: datetime) -> int:
    """What a key whose stored spend is `spent` in `spend_month` has spent in now's IST month."""
    return spent if spend_month == ist_month(now) else 0


def check_budget(key: Key, now: datetime) -> None:
    """BudgetExceeded once the key's spend this IST month has reached its budget."""
    if key.budget is not None and month_spend(key.spend_month, key.month_spend, now) >= key.budget:
        raise BudgetExceeded()


def cost(prompt_tokens: int, completion_tokens: int, key: Key, markup: int) -> int:
    """Provider rates × (1 + markup), rounded up once to the micro-unit."""
    return request_cost_micros(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        input_micros_per_million=key.input_rate or 0,
        output_micros_per_million=key.output_rate or 0,
        markup_percent=markup,
    )


def estimate(call: AuthorizeCall, key: Key, *, default_max_tokens: int, markup: int) -> int:
    """A hold's amount: the prompt (0 when not given) and max_tokens (the default when not
    given) at the org's mode."""
    completion = default_max_tokens if call.max_tokens is None else call.max_tokens
    return cost(call.prompt_tokens or 0, completion, key, markup)


class HoldRow(NamedTuple):
    """A hold's values (PostgreSQL's place_holds.sql takes them as columns in this order)."""

    org_id: int
    key_id: int
    request_id: str
    model: str
    amount: int
    now: datetime
    expires_at: datetime


def hold_row(stamped: Stamped[AuthorizeCall], key: Key, *, amount: int, ttl: timedelta) -> HoldRow:
    """The call's hold of `amount`, expiring `ttl` after the call."""
    call = stamped.call
    return HoldRow(key.org_id, key.id, call.request_id, call.model, amount, stamped.now, stamped.now + ttl)


class UsageRow(NamedTuple):
    """A usage event's values (PostgreSQL's usage_batch.sql takes them as columns in this order)."""

    org_id: int
    key_id: int
    request_id: str
    model: str
    mode: str
    prompt_tokens: int
    completion_tokens: int
    input_rate: int
    output_rate: int
    markup: int
    cost: int
    # When: the call's moment, and the IST day and month (YYYYMM) its rollup and spend go to.
    now: datetime
    day: date
    month: int


def usage_row(stamped: Stamped[UsageCall], key: Key, mode: str, markup: int) -> UsageRow:
    call = stamped.call
    return UsageRow(
        key.org_id,
        key.id,
        call.request_id,
        call.model,
        mode,
        call.prompt_tokens,
        call.completion_tokens,
        key.input_rate or 0,
        key.output_rate or 0,
        markup,
        cost(call.prompt_tokens, call.completion_tokens, key, markup),
        stamped.now,
        ist_day(stamped.now),
        ist_month(stamped.now),
    )


class RollupRow(NamedTuple):
    """What a batch adds to one (org, IST day, key, model) row of `usage_daily`."""

    org_id: int
    day: date
    key_id: int
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost: int


def rollup_rows(usages: Iterable[UsageRow]) -> list[RollupRow]:
    """The debited usages' sums per (org, IST day, key, model), in the order first seen."""
    sums: dict[tuple[int, date, int, str], RollupRow] = {}
    for u in usages:
        group = (u.org_id, u.day, u.key_id, u.model)
        row = sums.get(group)
        sums[group] = (
            RollupRow(*group, 1, u.prompt_tokens, u.completion_tokens, u.cost)
            if row is None
            else row._replace(
                requests=row.requests + 1,
                prompt_tokens=row.prompt_tokens + u.prompt_tokens,
                completion_tokens=row.completion_tokens + u.completion_tokens,
                cost=row.cost + u.cost,
            )
        )
    return list(sums.values())


class SpendRun(NamedTuple):
    """A key's calls in a row within one IST month: what they add to its month spend."""

    key_id: int
    month: int
    cost: int
    last_used_at: datetime


def spend_runs(usages: Iterable[UsageRow]) -> list[SpendRun]:
    """Per key, its debited usages in runs of one IST month, in order: applied one after the
    other (a run in the key's stored month adds to its spend, any other starts it over), as the calls one by one
    would (clocks can step back across a month's end)."""
    runs: list[SpendRun] = []
    latest: dict[int, int] = {}  # key → index of its latest run
    for u in usages:
        at = latest.get(u.key_id)
        if at is not None and runs[at].month == u.month:
            runs[at] = runs[at]._replace(cost=runs[at].cost + u.cost, last_used_at=u.now)
        else:
            latest[u.key_id] = len(runs)
            runs.append(SpendRun(u.key_id, u.month, u.cost, u.now))
    return runs


@dataclass
class Funds:
    """An org's balance and open holds while a batch places holds in order: a call is placed
    while balance − holds, with the holds placed before it, is > 0 (so once one is refused,
    every later one is: amounts are ≥ 0)."""

    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held

    @property
    def has_room(self) -> bool:
        return self.available > 0

    def hold(self, amount: int) -> None:
        self.held += amount
