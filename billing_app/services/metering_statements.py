"""The metering hot path's statements: SQLAlchemy Core, built once at import, and compiled
once per dialect to the SQL text `metering_sql.Tx` runs on raw DBAPI cursors. PostgreSQL's
batch statements are SQL text (unnest, window functions, DISTINCT ON), with the pieces
that have a definition elsewhere (the alert rule and its email, the rollup upsert) compiled
from it.

No ORM and no per-call statement building: DESIGN.md measured ~0.4 k/s for an ORM
session per debit, ~1 k/s for Core statements built per call, ~5 k/s for raw DBAPI.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine import Dialect
from sqlmodel import SQLModel

import billing_app.models  # noqa: F401  (registers the tables)
from billing_app.models import RoutingMode
from billing_app.services.alerts import alert_due, queue_from

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
        last_used_at=_p("now"),
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


def _sqlite_upserts() -> dict[str, Any]:
    """SQLite's statements with an ON CONFLICT clause: a hold unless the (key, request_id)
    has one, an event likewise, adding to a rollup row, and adding to an org's hold total
    (creating the row)."""
    insert = sqlite.insert
    hold = (
        insert(_hold)
        .values(**_HOLD_ROW)
        .on_conflict_do_nothing(index_elements=[_hold.c.api_key_id, _hold.c.request_id])
        .returning(_hold.c.id)
    )
    event = (
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
    rollup = _rollup_upsert(insert(_daily).values(**_DAY_ROW))
    total = insert(_total).values(org_id=_p("org_id"), held_micros=_p("amount"))
    reserve = total.on_conflict_do_update(
        index_elements=[_total.c.org_id],
        set_={"held_micros": _total.c.held_micros + total.excluded.held_micros},
    ).returning(_total.c.held_micros)
    return {"insert_hold": hold, "insert_event": event, "rollup": rollup, "reserve": reserve}


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


# ---------------------------------------------------------------- PostgreSQL: a batch a statement
# PostgreSQL answers a list of calls with one statement (usage) or one pipelined transaction of
# two (authorize), whatever the list's length: each call's values arrive as one array per
# column (`unnest`), and the statements work on the set. Per call they cost the backend a
# fraction of what one statement per call did (measured: ~0.43 ms of backend CPU per usage
# one by one, ~0.13 ms in lists of 6, ~0.07 in lists of 16). metering_postgres.py makes the
# arrays and reads the answers back per call.

# Compiled with named parameters, which both sqlite3 and psycopg take as a dict.
_DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(paramstyle="named"), "postgresql": psycopg.dialect()}


def _text(statement: Any, dialect_name: str = "postgresql") -> tuple[str, dict[str, Any]]:
    """(SQL text, the values of literals the compiler turned into parameters)."""
    compiled = statement.compile(dialect=_DIALECTS[dialect_name])
    return str(compiled), {key: value for key, value in compiled.params.items() if value is not None}


def _calls(columns: dict[str, str]) -> str:
    """The CTE `call`: one row per call, each column from the array parameter of its name."""
    arrays = ", ".join(f"%({column})s::{kind}[]" for column, kind in columns.items())
    return f"call AS (SELECT * FROM unnest({arrays}) AS call_row ({', '.join(columns)}))"


USAGE_COLUMNS = {
    "n": "int",  # the call's place in the batch
    "org_id": "bigint",
    "key_id": "bigint",
    "request_id": "varchar",
    "model": "varchar",
    "mode": "varchar",
    "prompt_tokens": "bigint",
    "completion_tokens": "bigint",
    "input_rate": "bigint",
    "output_rate": "bigint",
    "markup": "int",
    "cost": "bigint",
    "created_at": "timestamptz",
    "day": "date",
    "month": "int",
}
HOLD_COLUMNS = {
    "n": "int",
    "org_id": "bigint",
    "key_id": "bigint",
    "request_id": "varchar",
    "model": "varchar",
    "amount": "bigint",
    "created_at": "timestamptz",
    "expires_at": "timestamptz",
}


def _pg_usage_batch() -> tuple[str, dict[str, Any]]:
    """The usage calls of a batch (no two with the same key and request_id), in one
    statement: each call's event, unless the (key, request_id) has one (a replay writes
    nothing); its hold settled; per org one debit, deciding the low-balance alert (alerts.py's
    rule, with the scalar parameters `now` and `cutoff`) and queuing its email; per (org, IST
    day, key, model) one rollup update; per key one month-spend update, as the calls one by
    one would leave it (a change of IST month starts the spend over).

    Rows: ('new', n, NULL) per call debited; ('replay', n, the first cost) per call whose
    event was there before; ('balance', org id, balance) per org of the batch, after it.

    Row locks come in an order two batches share: the events are inserted in (key,
    request_id) order (a batch waits on another's insert of the same request only there), the
    orgs are locked in id order, and the rows updated after that (hold totals, rollups, the
    key's spend) belong to those orgs. (PostgreSQL does not promise the order in which a
    statement's CTEs run; should it find a deadlock between two app workers' batches, it
    aborts one, and `metering._answer_all` makes that batch's calls again one by one.)"""
    alert = _text(alert_due(sa.literal_column("org.balance_micros - per_org.cost"), cutoff=_p("cutoff")))[0]
    decided = ("id", "balance_micros", "low_balance_threshold_micros", "currency")
    due = sa.table("due", *(sa.column(name) for name in decided))
    queue, literals = _text(queue_from(due))
    day_sums = sa.table("day_sums", *(sa.column(name) for name in _DAY_ROW))
    rollup, _ = _text(
        _rollup_upsert(postgresql.insert(_daily).from_select(list(_DAY_ROW), sa.select(*day_sums.c))).returning(
            _daily.c.org_id
        )
    )
    sql = f"""WITH {_calls(USAGE_COLUMNS)},
event AS (
  INSERT INTO usage_event (org_id, api_key_id, request_id, model, routing_mode, prompt_tokens, completion_tokens,
    input_micros_per_million, output_micros_per_million, markup_percent, cost_micros, created_at)
  SELECT org_id, key_id, request_id, model, mode, prompt_tokens, completion_tokens, input_rate, output_rate, markup,
    cost, created_at
  FROM call ORDER BY key_id, request_id
  ON CONFLICT (api_key_id, request_id) DO NOTHING
  RETURNING api_key_id, request_id
),
new AS (SELECT call.* FROM call JOIN event ON event.api_key_id = call.key_id AND event.request_id = call.request_id),
settled AS (
  DELETE FROM hold USING new WHERE hold.api_key_id = new.key_id AND hold.request_id = new.request_id
  RETURNING hold.org_id, hold.amount_micros
),
released AS (
  UPDATE hold_total SET held_micros = hold_total.held_micros - settled_sums.amount
  FROM (SELECT org_id, sum(amount_micros) AS amount FROM settled GROUP BY org_id ORDER BY org_id) AS settled_sums
  WHERE hold_total.org_id = settled_sums.org_id
  RETURNING hold_total.org_id
),
per_org AS (SELECT org_id, sum(cost) AS cost FROM new GROUP BY org_id),
locked AS (
  SELECT org.id, per_org.cost, {alert} AS alerted
  FROM org JOIN per_org ON per_org.org_id = org.id
  ORDER BY org.id FOR NO KEY UPDATE OF org
),
debited AS (
  UPDATE org SET balance_micros = org.balance_micros - locked.cost,
    last_low_balance_alert_at = CASE WHEN locked.alerted THEN %(now)s ELSE org.last_low_balance_alert_at END
  FROM locked WHERE org.id = locked.id
  RETURNING org.id, org.balance_micros, org.low_balance_threshold_micros, org.currency, locked.alerted
),
due AS (SELECT * FROM debited WHERE alerted),
queued AS ({queue}),
day_sums ({", ".join(_DAY_ROW)}) AS (
  SELECT org_id, day, key_id, model, count(*), sum(prompt_tokens), sum(completion_tokens), sum(cost)
  FROM new GROUP BY org_id, day, key_id, model ORDER BY org_id, day, key_id, model
),
rolled AS ({rollup}),
months AS (
  SELECT key_id, n, month, cost, created_at,
    CASE WHEN month = lag(month) OVER (PARTITION BY key_id ORDER BY n) THEN 0 ELSE 1 END AS starts_run
  FROM new
),
runs AS (SELECT *, sum(starts_run) OVER (PARTITION BY key_id ORDER BY n) AS run FROM months),
key_spend AS (
  SELECT DISTINCT ON (key_id) key_id, month, created_at, run, sum(cost) OVER (PARTITION BY key_id, run) AS cost
  FROM runs ORDER BY key_id, n DESC
),
spent AS (
  UPDATE api_key SET
    month_spend_micros = CASE WHEN key_spend.run = 1 AND api_key.spend_month = key_spend.month
      THEN api_key.month_spend_micros + key_spend.cost ELSE key_spend.cost END,
    spend_month = key_spend.month,
    last_used_at = key_spend.created_at
  FROM key_spend WHERE api_key.id = key_spend.key_id
  RETURNING api_key.id
)
SELECT 'new', n, NULL::bigint FROM new
UNION ALL
SELECT 'replay', call.n, usage_event.cost_micros
FROM call JOIN usage_event ON usage_event.api_key_id = call.key_id AND usage_event.request_id = call.request_id
UNION ALL
SELECT 'balance', id, balance_micros FROM debited
UNION ALL
SELECT 'balance', org.id, org.balance_micros FROM org
WHERE org.id IN (SELECT org_id FROM call) AND org.id NOT IN (SELECT org_id FROM per_org)"""
    return sql, literals


# Takes the hold-total row locks of the batch's orgs (`org_id` sorted, so two batches never
# deadlock), creating the rows, after dropping each org's holds expired at `created_at`.
_PG_LOCK_HOLDS = """WITH org_now AS (
  SELECT * FROM unnest(%(org_id)s::bigint[], %(created_at)s::timestamptz[]) AS org_now (org_id, created_at)
),
swept AS (
  DELETE FROM hold USING org_now WHERE hold.org_id = org_now.org_id AND hold.expires_at <= org_now.created_at
  RETURNING hold.org_id, hold.amount_micros
)
INSERT INTO hold_total (org_id, held_micros)
SELECT org_now.org_id, -coalesce((SELECT sum(swept.amount_micros) FROM swept WHERE swept.org_id = org_now.org_id), 0)
FROM org_now ORDER BY org_now.org_id
ON CONFLICT (org_id) DO UPDATE SET held_micros = hold_total.held_micros + excluded.held_micros"""

# Run after _PG_LOCK_HOLDS in its transaction (a new snapshot: the latest balance). In the
# batch's order, a call is placed while its org's balance − holds, with the holds placed
# before it, is > 0 (once one is refused every later one is: amounts are ≥ 0, so a running
# sum over the calls gives the same answers as one by one). A call whose (key, request_id)
# has a hold gets that hold back.
_PG_PLACE_HOLDS = f"""WITH {_calls(HOLD_COLUMNS)},
existing AS (
  SELECT call.n, hold.id, hold.amount_micros, hold.expires_at
  FROM call JOIN hold ON hold.api_key_id = call.key_id AND hold.request_id = call.request_id
),
funds AS (
  SELECT org.id AS org_id, org.balance_micros AS balance, hold_total.held_micros AS held
  FROM org JOIN hold_total ON hold_total.org_id = org.id
  WHERE org.id IN (SELECT org_id FROM call)
),
asked AS (
  SELECT call.*, funds.balance - funds.held - coalesce(sum(call.amount) OVER (
    PARTITION BY call.org_id ORDER BY call.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS room
  FROM call JOIN funds ON funds.org_id = call.org_id
  WHERE call.n NOT IN (SELECT n FROM existing)
),
placed AS (
  INSERT INTO hold (org_id, api_key_id, request_id, model, amount_micros, created_at, expires_at)
  SELECT org_id, key_id, request_id, model, amount, created_at, expires_at FROM asked WHERE room > 0 ORDER BY n
  ON CONFLICT (api_key_id, request_id) DO NOTHING
  RETURNING id, org_id, api_key_id, request_id, amount_micros
),
reserved AS (
  UPDATE hold_total SET held_micros = hold_total.held_micros + placed_sums.amount
  FROM (SELECT org_id, sum(amount_micros) AS amount FROM placed GROUP BY org_id) AS placed_sums
  WHERE hold_total.org_id = placed_sums.org_id
  RETURNING hold_total.org_id
)
SELECT 'placed', call.n, placed.id, NULL::bigint, NULL::timestamptz
FROM placed JOIN call ON call.key_id = placed.api_key_id AND call.request_id = placed.request_id
UNION ALL
SELECT 'existing', n, id, amount_micros, expires_at FROM existing
UNION ALL
SELECT 'funds', org_id, balance, held, NULL FROM funds"""


_PG_BATCHES = {
    "usage_batch": _pg_usage_batch(),
    "lock_holds": (_PG_LOCK_HOLDS, {}),
    "place_holds": (_PG_PLACE_HOLDS, {}),
}


# Both databases: the key lookup, a replay's first cost, the hold sweep job and the audit.
_COMMON = {
    "key": _KEY,
    "event_cost": _EVENT_COST,
    "release": _RELEASE,
    "hold_audit": _HOLD_AUDIT,
    "expire_holds": _EXPIRE_HOLDS,
}
# SQLite's batches (metering_sqlite.py): plain statements, some once per call.
_SQLITE = {
    "balance": _BALANCE,
    "sweep_org": _SWEEP_ORG,
    "existing_hold": _EXISTING_HOLD,
    "debit_balance": _DEBIT_BALANCE,
    "settle_hold": _SETTLE_HOLD,
    "key_spend": _KEY_SPEND,
    **_sqlite_upserts(),
}


class Statement(NamedTuple):
    """A statement as `metering_sql.Tx.run` runs it."""

    sql: str
    literals: dict[str, Any]  # the values of literals the compiler made parameters
    # PostgreSQL: the parameter names of $1, $2 … (the text is in PostgreSQL's own placeholders,
    # for psycopg's RawCursor). SQLite: None, the text has named ones (:name).
    order: tuple[str, ...] | None = None


_NAMED = re.compile(r"%\((\w+)\)s")


def _numbered(sql: str, literals: dict[str, Any]) -> Statement:
    """PostgreSQL: `%(name)s` → `$n` (a name used twice is one parameter). psycopg would
    otherwise convert the text on every run, and caches the conversion only for statements
    under 4 kB, which the usage batch is not (its conversion cost ~50 µs of the app's CPU per
    call in batches of 7, profiled)."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in order:
            order.append(match[1])
        return f"${order.index(match[1]) + 1}"

    numbered = _NAMED.sub(number, sql)
    if "%" in numbered.replace("%%", ""):
        raise ValueError(f"a placeholder other than %(name)s in: {sql[:80]}")
    return Statement(numbered.replace("%%", "%"), literals, tuple(order))


SQL: dict[str, dict[str, Statement]] = {
    "sqlite": {name: Statement(*_text(statement, "sqlite")) for name, statement in {**_COMMON, **_SQLITE}.items()},
    "postgresql": {
        **{name: _numbered(*_text(statement)) for name, statement in _COMMON.items()},
        **{name: _numbered(*text) for name, text in _PG_BATCHES.items()},
    },
}
