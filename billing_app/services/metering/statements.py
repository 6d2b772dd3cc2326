"""The hot path's statements, as typed attributes: `sqlite_statements()` and
`postgres_statements()`, each built once per process. Every statement is either SQLAlchemy
Core, defined here and compiled once to the database's own SQL text (`db.Statement.compiled`),
or one `.sql` file in metering/sql/ (PostgreSQL's batch statements: `unnest`, window
functions, data-modifying CTEs), run with a NamedTuple of its arguments in the order of its
$1, $2 … (postgres.py). No ORM and no per-call statement building (DESIGN.md; figures in
docs/benchmarks.md).

Parameter names of the Core statements are the fields of rules.HoldRow, UsageRow, RollupRow
and SpendRun, so a row's `_asdict()` is a statement's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel

import billing_app.models  # noqa: F401  (registers the tables)
from billing_app.db import Statement
from billing_app.models import RoutingMode
from billing_app.services.alerts import DECIDE_ALERT, QUEUE_ALERT

_tables = SQLModel.metadata.tables
_key, _org, _price, _profile = _tables["api_key"], _tables["org"], _tables["model_price"], _tables["routing_profile"]
_hold, _total, _event, _daily = _tables["hold"], _tables["hold_total"], _tables["usage_event"], _tables["usage_daily"]
_p = sa.bindparam


_KEY = (
    sa.select(
        _key.c.id,
        _key.c.org_id,
        _key.c.monthly_budget_micros,
        _key.c.spend_month,
        _key.c.month_spend_micros,
        _org.c.currency,
        sa.func.coalesce(_profile.c.mode, sa.literal_column(f"'{RoutingMode.AUTO.value}'")),
        _price.c.input_micros_per_million,
        _price.c.output_micros_per_million,
    )
    .select_from(
        _key.join(_org, _org.c.id == _key.c.org_id)
        .outerjoin(_profile, _profile.c.org_id == _key.c.org_id)
        .outerjoin(_price, sa.and_(_price.c.model == _p("model"), _price.c.active.is_(sa.true())))
    )
    .where(_key.c.key_hash == _p("key_hash"), _key.c.revoked_at.is_(None))
)
_BALANCE = sa.select(_org.c.balance_micros).where(_org.c.id == _p("org_id"))
# The org's own expired holds, dropped by its next authorize (O(expired), by index).
_SWEEP_ORG = (
    sa.delete(_hold)
    .where(_hold.c.org_id == _p("org_id"), _hold.c.expires_at <= _p("now"))
    .returning(_hold.c.amount_micros)
)
_HOLD_SUMS = (
    sa.select(_hold.c.org_id, sa.func.sum(_hold.c.amount_micros).label("held")).group_by(_hold.c.org_id).subquery()
)
_HOLD_AUDIT = (
    sa.select(_total.c.org_id, _total.c.held_micros, sa.func.coalesce(_HOLD_SUMS.c.held, sa.literal_column("0")))
    .select_from(_total.outerjoin(_HOLD_SUMS, _HOLD_SUMS.c.org_id == _total.c.org_id))
    .where(_total.c.held_micros != sa.func.coalesce(_HOLD_SUMS.c.held, sa.literal_column("0")))
)
_RELEASE = (
    sa.update(_total).where(_total.c.org_id == _p("org_id")).values(held_micros=_total.c.held_micros - _p("amount"))
)
_EXISTING_HOLD = sa.select(_hold.c.id, _hold.c.amount_micros, _hold.c.expires_at).where(
    _hold.c.api_key_id == _p("key_id"), _hold.c.request_id == _p("request_id")
)
_DEBIT_BALANCE = (
    sa.update(_org)
    .where(_org.c.id == _p("org_id"))
    .values(balance_micros=_org.c.balance_micros - _p("cost"))
    .returning(_org.c.balance_micros)
)
_SETTLE_HOLD = (
    sa.delete(_hold)
    .where(_hold.c.api_key_id == _p("key_id"), _hold.c.request_id == _p("request_id"))
    .returning(_hold.c.org_id, _hold.c.amount_micros)
)
_EVENT_COST = sa.select(_event.c.cost_micros).where(
    _event.c.api_key_id == _p("key_id"), _event.c.request_id == _p("request_id")
)
_KEY_SPEND = (
    sa.update(_key)
    .where(_key.c.id == _p("key_id"))
    .values(
        last_used_at=_p("last_used_at"),
        month_spend_micros=sa.case(
            (_key.c.spend_month == _p("month"), _key.c.month_spend_micros + _p("cost")), else_=_p("cost")
        ),
        spend_month=_p("month"),
    )
)
# In batches, so a backlog never holds SQLite's one writer lock for long.
EXPIRE_BATCH = 500
_EXPIRE_HOLDS = (
    sa.delete(_hold)
    .where(
        _hold.c.id.in_(
            sa.select(_hold.c.id)
            .where(_hold.c.expires_at <= _p("now"))
            .order_by(_hold.c.expires_at)
            .limit(EXPIRE_BATCH)
            .scalar_subquery()
        )
    )
    .returning(_hold.c.org_id, _hold.c.amount_micros)
)


# A new hold's and a new rollup row's values, by column (the rollup's names are also the
# columns of PostgreSQL's `day_sums`).
_HOLD_ROW: dict[str, Any] = {
    "org_id": _p("org_id"),
    "api_key_id": _p("key_id"),
    "request_id": _p("request_id"),
    "model": _p("model"),
    "amount_micros": _p("amount"),
    "created_at": _p("now"),
    "expires_at": _p("expires_at"),
}
_DAY_ROW: dict[str, Any] = {
    "org_id": _p("org_id"),
    "day": _p("day"),
    "api_key_id": _p("key_id"),
    "model": _p("model"),
    "requests": _p("requests"),
    "prompt_tokens": _p("prompt_tokens"),
    "completion_tokens": _p("completion_tokens"),
    "cost_micros": _p("cost"),
}


def _rollup_upsert(insert: Any) -> Any:
    """ON CONFLICT for `usage_daily`: add to the day's row."""
    return insert.on_conflict_do_update(
        index_elements=["org_id", "day", "api_key_id", "model"],
        set_={
            "requests": _daily.c.requests + insert.excluded.requests,
            "prompt_tokens": _daily.c.prompt_tokens + insert.excluded.prompt_tokens,
            "completion_tokens": _daily.c.completion_tokens + insert.excluded.completion_tokens,
            "cost_micros": _daily.c.cost_micros + insert.excluded.cost_micros,
        },
    )


def _hold_insert(insert: Any) -> Any:
    """A hold, unless the (key, request_id) has one: RETURNING nothing then."""
    return (
        insert(_hold)
        .values(**_HOLD_ROW)
        .on_conflict_do_nothing(index_elements=[_hold.c.api_key_id, _hold.c.request_id])
        .returning(_hold.c.id)
    )


def _event_insert(insert: Any) -> Any:
    """A usage event, unless the (key, request_id) has one (a replay): RETURNING nothing then."""
    return (
        insert(_event)
        .values(
            org_id=_p("org_id"),
            api_key_id=_p("key_id"),
            request_id=_p("request_id"),
            model=_p("model"),
            routing_mode=_p("mode"),
            prompt_tokens=_p("prompt_tokens"),
            completion_tokens=_p("completion_tokens"),
            input_micros_per_million=_p("input_rate"),
            output_micros_per_million=_p("output_rate"),
            markup_percent=_p("markup"),
            cost_micros=_p("cost"),
            created_at=_p("now"),
        )
        .on_conflict_do_nothing(index_elements=[_event.c.api_key_id, _event.c.request_id])
        .returning(_event.c.id)
    )


def _reserve(insert: Any) -> Any:
    """Add to an org's hold total (creating the row); RETURNING the total."""
    total = insert(_total).values(org_id=_p("org_id"), held_micros=_p("amount"))
    return total.on_conflict_do_update(
        index_elements=[_total.c.org_id],
        set_={"held_micros": _total.c.held_micros + total.excluded.held_micros},
    ).returning(_total.c.held_micros)


@dataclass(frozen=True)
class CommonStatements:
    """Both databases: the key lookup, a replay's first cost, the hold sweep and the audit."""

    key: Statement
    event_cost: Statement
    release: Statement
    hold_audit: Statement
    expire_holds: Statement


def _common(dialect: str) -> dict[str, Statement]:
    statements = {
        "key": _KEY,
        "event_cost": _EVENT_COST,
        "release": _RELEASE,
        "hold_audit": _HOLD_AUDIT,
        "expire_holds": _EXPIRE_HOLDS,
    }
    return {name: Statement.compiled(statement, dialect) for name, statement in statements.items()}


@dataclass(frozen=True)
class SqliteStatements(CommonStatements):
    """SQLite's batches (sqlite.py): plain statements, some once per call."""

    balance: Statement
    sweep_org: Statement
    existing_hold: Statement
    debit_balance: Statement
    settle_hold: Statement
    key_spend: Statement
    insert_hold: Statement
    insert_event: Statement
    rollup: Statement
    reserve: Statement
    decide_alert: Statement  # services/alerts.py's rule and email, on the metering cursor
    queue_alert: Statement


@cache
def sqlite_statements() -> SqliteStatements:
    own = {
        "balance": _BALANCE,
        "sweep_org": _SWEEP_ORG,
        "existing_hold": _EXISTING_HOLD,
        "debit_balance": _DEBIT_BALANCE,
        "settle_hold": _SETTLE_HOLD,
        "key_spend": _KEY_SPEND,
        "insert_hold": _hold_insert(sqlite.insert),
        "insert_event": _event_insert(sqlite.insert),
        "rollup": _rollup_upsert(sqlite.insert(_daily).values(**_DAY_ROW)),
        "reserve": _reserve(sqlite.insert),
        "decide_alert": DECIDE_ALERT,
        "queue_alert": QUEUE_ALERT,
    }
    return SqliteStatements(
        **_common("sqlite"), **{name: Statement.compiled(statement, "sqlite") for name, statement in own.items()}
    )


SQL_FILES = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class PostgresStatements(CommonStatements):
    """PostgreSQL's batches (postgres.py): a list of calls in one statement (usage) or two
    pipelined in one transaction (authorize), each call's values as arrays."""

    usage_batch: Statement  # sql/usage_batch.sql
    lock_holds: Statement  # sql/lock_holds.sql
    place_holds: Statement  # sql/place_holds.sql


@cache
def postgres_statements() -> PostgresStatements:
    files = {name: Statement.read(SQL_FILES / f"{name}.sql") for name in ("usage_batch", "lock_holds", "place_holds")}
    return PostgresStatements(**_common("postgresql"), **files)
