"""The metering hot path's SQL: SQLAlchemy Core statements built once, at import, and
compiled once per dialect to text that runs on raw DBAPI cursors; and the small pool of
DBAPI connections it runs on (one writer on SQLite, a few on PostgreSQL).

No ORM and no per-call statement building: DESIGN.md measured ~0.4 k/s for an ORM
session per debit, ~1 k/s for Core statements built per call, ~5 k/s for raw DBAPI.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine import Dialect, Engine
from sqlmodel import SQLModel

import billing_app.models  # noqa: F401  (registers the tables)
from billing_app.config import get_settings

# db.write_session takes the same in-process lock: every SQLite writer in this process
# queues on one lock, which hands over at once (SQLite's busy handler sleeps).
from billing_app.db import _sqlite_writer, write_engine
from billing_app.models import RoutingMode

T = TypeVar("T")
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
_HELD = sa.select(_total.c.held_micros).where(_total.c.org_id == _p("org_id"))
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
_DEBIT = (
    sa.update(_org)
    .where(_org.c.id == _p("org_id"))
    .values(balance_micros=_org.c.balance_micros - _p("cost"))
    .returning(_org.c.balance_micros, _org.c.low_balance_threshold_micros)
)
_SETTLE_HOLD = (
    sa.delete(_hold)
    .where(_hold.c.api_key_id == _p("key_id"), _hold.c.request_id == _p("request_id"))
    .returning(_hold.c.amount_micros)
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


def _upserts(insert: Any) -> dict[str, Any]:
    """The statements whose ON CONFLICT clause is dialect-specific."""
    hold = (
        insert(_hold)
        .values(
            org_id=_p("org_id"),
            api_key_id=_p("key_id"),
            request_id=_p("request_id"),
            model=_p("model"),
            amount_micros=_p("amount"),
            created_at=_p("now"),
            expires_at=_p("expires_at"),
        )
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
    rollup = insert(_daily).values(
        org_id=_p("org_id"),
        day=_p("day"),
        api_key_id=_p("key_id"),
        model=_p("model"),
        requests=sa.literal_column("1"),
        prompt_tokens=_p("prompt_tokens"),
        completion_tokens=_p("completion_tokens"),
        cost_micros=_p("cost"),
    )
    rollup = rollup.on_conflict_do_update(
        index_elements=[_daily.c.org_id, _daily.c.day, _daily.c.api_key_id, _daily.c.model],
        set_={
            "requests": _daily.c.requests + sa.literal_column("1"),
            "prompt_tokens": _daily.c.prompt_tokens + rollup.excluded.prompt_tokens,
            "completion_tokens": _daily.c.completion_tokens + rollup.excluded.completion_tokens,
            "cost_micros": _daily.c.cost_micros + rollup.excluded.cost_micros,
        },
    )
    reserve = insert(_total).values(org_id=_p("org_id"), held_micros=_p("amount"))
    reserve = reserve.on_conflict_do_update(
        index_elements=[_total.c.org_id],
        set_={"held_micros": _total.c.held_micros + reserve.excluded.held_micros},
    ).returning(_total.c.held_micros)
    return {"insert_hold": hold, "insert_event": event, "rollup": rollup, "reserve": reserve}


_UPSERTS = {"sqlite": _upserts(sqlite.insert), "postgresql": _upserts(postgresql.insert)}
_COMMON = {
    "key": _KEY,
    "balance": _BALANCE,
    "held": _HELD,
    "sweep_org": _SWEEP_ORG,
    "release": _RELEASE,
    "hold_audit": _HOLD_AUDIT,
    "existing_hold": _EXISTING_HOLD,
    "debit": _DEBIT,
    "settle_hold": _SETTLE_HOLD,
    "event_cost": _EVENT_COST,
    "key_spend": _KEY_SPEND,
    "expire_holds": _EXPIRE_HOLDS,
}
# Compiled with named parameters, which both sqlite3 and psycopg take as a dict.
_DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(paramstyle="named"), "postgresql": psycopg.dialect()}


def _compile(dialect_name: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """name → (SQL text, the values of literals the compiler turned into parameters)."""
    dialect = _DIALECTS[dialect_name]
    statements = {**_COMMON, **_UPSERTS[dialect_name]}
    compiled = {name: stmt.compile(dialect=dialect) for name, stmt in statements.items()}
    return {
        name: (str(each), {key: value for key, value in each.params.items() if value is not None})
        for name, each in compiled.items()
    }


_SQL = {name: _compile(name) for name in _DIALECTS}


# ---------------------------------------------------------------- connections


class Connections:
    """A tiny pool of raw DBAPI connections for one engine (one on SQLite), and as many
    threads to use them for async callers (`run_hot`), so no request waits for a
    connection in a thread of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.sql = _SQL["sqlite" if self.is_sqlite else "postgresql"]
        self._size = 1 if self.is_sqlite else get_settings().metering_pg_connections
        self.executor = ThreadPoolExecutor(max_workers=self._size, thread_name_prefix="metering")
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._opened: list[tuple[Any, Any]] = []  # (SQLAlchemy's wrapper, the DBAPI connection)
        self._lock = threading.Lock()

    def _open(self) -> Any:
        fairy = self.engine.raw_connection()  # runs db.py's connect hooks (WAL, busy timeout …)
        conn: Any = fairy.driver_connection
        fairy.detach()  # ours for good: SQLAlchemy's pool never hands it to anyone else
        if self.is_sqlite and get_settings().background_jobs:
            conn.execute("PRAGMA wal_autocheckpoint=0")
        self._opened.append((fairy, conn))
        return conn

    def _acquire(self) -> Any:
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                if len(self._opened) < self._size:
                    return self._open()
            try:  # wait for one to come back (or, after a discard, loop to open anew)
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                continue

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with _sqlite_writer if self.is_sqlite else nullcontext():
            yield from self._transaction()

    def _transaction(self) -> Iterator[Tx]:
        conn = self._acquire()
        healthy = True
        try:
            cursor = conn.cursor()
            if self.is_sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(cursor, self)
            except BaseException:
                self._end(conn, cursor, "ROLLBACK")
                raise
            self._end(conn, cursor, "COMMIT")
        except Exception as exc:
            healthy = not isinstance(exc, self.engine.dialect.loaded_dbapi.OperationalError)
            raise
        finally:
            if healthy:
                self._idle.put(conn)
            else:  # a broken connection is replaced by the next caller
                self._discard(conn)

    def _end(self, conn: Any, cursor: Any, verb: str) -> None:
        if self.is_sqlite:  # isolation_level=None: we issue BEGIN/COMMIT ourselves
            cursor.execute(verb)
        elif verb == "COMMIT":
            conn.commit()
        else:
            conn.rollback()

    def _discard(self, conn: Any) -> None:
        with self._lock:
            self._opened = [(f, c) for f, c in self._opened if c is not conn]
        with suppress(Exception):
            conn.close()

    def close(self) -> None:
        self.executor.shutdown(wait=False)
        with self._lock:
            for _, conn in self._opened:
                with suppress(Exception):
                    conn.close()
            self._opened = []

    def db_time(self, moment: datetime) -> Any:
        """What the UTCDateTime column type would bind (SQLite stores naive UTC text,
        always with microseconds so that text order is time order)."""
        if self.is_sqlite:
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return moment

    def db_day(self, day: date) -> Any:
        return day.isoformat() if self.is_sqlite else day

    def py_time(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Tx:
    def __init__(self, cursor: Any, connections: Connections) -> None:
        self.cursor = cursor
        self.sql = connections.sql

    def run(self, name: str, params: Mapping[str, Any]) -> Any:
        sql, literals = self.sql[name]
        self.cursor.execute(sql, {**literals, **params} if literals else params)
        return self.cursor

    def one(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return self.run(name, params).fetchone()

    def all(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return list(self.run(name, params).fetchall())


_current: Connections | None = None
_swap = threading.Lock()


def connections() -> Connections:
    """The pool for the current engine (tests point DATABASE_URL elsewhere between runs)."""
    global _current
    engine = write_engine()
    pool = _current
    if pool is not None and pool.engine is engine:
        return pool
    with _swap:
        if _current is None or _current.engine is not engine:
            if _current is not None:
                _current.close()
            _current = Connections(engine)
        return _current


async def run_hot(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a hot-path service call (authorize, usage) for an async route.

    PostgreSQL: on the metering threads — the work waits on the network.
    SQLite: right here on the event loop when no other thread of this process is writing,
    else on the metering thread. The transaction takes ~0.2 ms of CPU, and sqlite3 lets
    go of the GIL around every statement: handed to a thread, the GIL ping-pong between
    it and the event loop cost more than the work (measured half the throughput, twice
    the CPU per request). Holding the writer lock means no other writer of this process
    is inside SQLite, so the loop never waits on one; another *process* writing (the CLI,
    a migration) can still make it wait for that short transaction.
    """
    pool = connections()
    if pool.is_sqlite and _sqlite_writer.acquire(blocking=False):
        try:
            return fn(**kwargs)
        finally:
            _sqlite_writer.release()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool.executor, functools.partial(fn, **kwargs))


def close_connections() -> None:
    global _current
    with _swap:
        if _current is not None:
            _current.close()
        _current = None


def checkpoint_wal() -> tuple[int, int, int] | None:
    """SQLite: copy the WAL back into the database without blocking writers (PASSIVE), on
    a connection of its own. Returns (busy, wal frames, checkpointed frames); None
    on PostgreSQL."""
    engine = write_engine()
    if engine.dialect.name != "sqlite":
        return None
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, done = cursor.fetchone() or (0, 0, 0)
        return int(busy), int(frames), int(done)
    finally:
        conn.close()
