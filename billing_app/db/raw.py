"""The hot path's own connections: a small pool of raw DBAPI connections per process (one
writer on SQLite, a few autocommit ones on PostgreSQL) with as many threads to use them,
`Tx` (and PostgreSQL's pipelined `Tx.atomically`), and `Statement`, SQL text as those
connections' cursors take it — compiled once from SQLAlchemy Core, or read from a `.sql`
file. No ORM and no per-call statement building on the hot path (DESIGN.md measured why;
docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.types.numeric import Int8Dumper
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg as sa_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from billing_app.config import get_settings
from billing_app.context import Resource, context
from billing_app.db.engines import WRITE_ENGINE
from billing_app.db.writer_lock import SQLITE_WRITER_LOCK

# A statement's parameters: by name (a Core statement's bind parameters), or a tuple in the
# order of a `.sql` file's $1, $2 … (a NamedTuple of the statement's arguments).
Params = Mapping[str, Any] | tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    """SQL text for a raw cursor. SQLite: named placeholders (`:name`), values by name.
    PostgreSQL: its own `$1, $2 …`, which psycopg's RawCursor sends as they are (psycopg
    converts `%(name)s` text on every run and caches that only for statements under 4 kB)."""

    sql: str
    names: tuple[str, ...] | None = None  # PostgreSQL Core: the bind parameter of $1, $2 …
    literals: Mapping[str, Any] = field(default_factory=dict)  # literals the compiler made parameters

    @classmethod
    def compiled(cls, statement: ClauseElement, dialect: str) -> Statement:
        """A Core statement compiled once for `dialect` ("sqlite" or "postgresql")."""
        if dialect == "sqlite":
            compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))
            names = None
        else:
            compiled = statement.compile(dialect=sa_psycopg.dialect(paramstyle="numeric_dollar"))
            names = tuple(cast(SQLCompiler, compiled).positiontup or ())
        literals = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(str(compiled), names, literals)

    @classmethod
    def read(cls, path: Path) -> Statement:
        """A `.sql` file written with PostgreSQL's `$1, $2 …`; run with a tuple of values."""
        return cls(path.read_text())

    def values(self, params: Params) -> Mapping[str, Any] | Sequence[Any]:
        if isinstance(params, tuple):
            return params
        merged = {**self.literals, **params} if self.literals else params
        return merged if self.names is None else [merged[name] for name in self.names]


class Connections:
    """A tiny pool of raw DBAPI connections for one engine (one on SQLite), and as many
    threads to use them for async callers (metering's batcher), so no request waits for a
    connection in a thread of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        size = 1 if self.is_sqlite else get_settings().metering_pg_connections
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="metering")
        # One entry per connection: an open one, or None for one to open.
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(size):
            self._free.put(None)
        self._opened: list[tuple[Any, Any]] = []  # (SQLAlchemy's wrapper, the DBAPI connection)
        self._lock = threading.Lock()

    def _open(self) -> Any:
        fairy = self.engine.raw_connection()  # runs db/engines.py's connect hooks (WAL, busy timeout …)
        conn: Any = fairy.driver_connection
        fairy.detach()  # ours for good: SQLAlchemy's pool never hands it to anyone else
        if not self.is_sqlite:
            conn.autocommit = True  # transactions are explicit (BEGIN … COMMIT), or one statement
            conn.cursor_factory = psycopg.RawCursor  # the statements come with $1, $2 …
            # Every hot-path plan is a handful of key lookups whatever the values: plan once per
            # prepared statement (psycopg prepares on the 5th run) instead of a custom plan per call.
            conn.execute("SET plan_cache_mode = force_generic_plan")
            # Every hot-path statement finds its rows by index. Statistics from when a table was
            # empty or small (a fresh database; a table that grew since autovacuum analyzed it)
            # make a sequential scan look cheaper, and the generic plan made then is kept: each
            # call would cost more as the tables grow. Off, the planner takes the indexes.
            conn.execute("SET enable_seqscan = off")
            # psycopg sends an int (or a list of ints) as smallint, integer or bigint by its
            # value, and prepares a statement per query *and* parameter types: each mix of sizes
            # would be a statement of its own, planned afresh for its first five runs. Every int
            # is a bigint here: one prepared statement per query.
            conn.adapters.register_dumper(int, Int8Dumper)
        elif get_settings().background_jobs:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the WAL checkpoint job does it (db/wal.py)
        with self._lock:
            self._opened.append((fairy, conn))
        return conn

    def _acquire(self) -> Any:
        conn = self._free.get()  # waits while all are in use
        if conn is not None:
            return conn
        try:
            return self._open()
        except BaseException:
            self._free.put(None)
            raise

    @contextmanager
    def _borrowed(self) -> Iterator[Any]:
        """A connection of the pool; back to it after, or closed when it failed with an
        OperationalError (the next caller opens a new one)."""
        conn = self._acquire()
        try:
            yield conn
        except self.engine.dialect.loaded_dbapi.OperationalError:
            self._discard(conn)
            self._free.put(None)
            raise
        except BaseException:
            self._free.put(conn)
            raise
        self._free.put(conn)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction around everything done with the Tx."""
        with SQLITE_WRITER_LOCK if self.is_sqlite else nullcontext(), self._borrowed() as conn:
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")
            try:
                yield Tx(cursor)
                cursor.execute("COMMIT")
            except BaseException:
                with suppress(Exception):  # (a failed COMMIT can leave the transaction open)
                    cursor.execute("ROLLBACK")
                raise

    @contextmanager
    def autocommit(self) -> Iterator[Tx]:
        """PostgreSQL: no transaction around the work; each step is atomic on its own (one
        statement, or `Tx.atomically`'s pipelined BEGIN … COMMIT), so no row lock is held
        while a round trip is under way or a thread waits for the GIL."""
        with self._borrowed() as conn:
            cursor = conn.cursor()
            try:
                yield Tx(cursor)
            finally:
                if conn.info.transaction_status != conn.info.transaction_status.IDLE:  # a step failed
                    cursor.execute("ROLLBACK")

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

    def py_time(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Tx:
    """Statements on one cursor (of a transaction, or of an autocommit connection)."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def run(self, statement: Statement, params: Params, cursor: Any = None) -> Any:
        """The statement with its values on the cursor (the Tx's own by default); returns the cursor."""
        cursor = cursor or self.cursor
        cursor.execute(statement.sql, statement.values(params))
        return cursor

    def one(self, statement: Statement, params: Params) -> tuple[Any, ...] | None:
        return self.run(statement, params).fetchone()

    def all(self, statement: Statement, params: Params) -> list[tuple[Any, ...]]:
        return list(self.run(statement, params).fetchall())

    def atomically(self, *steps: tuple[Statement, Params]) -> list[tuple[Any, ...]]:
        """PostgreSQL: the statements in one transaction, in one round trip (pipelined with
        BEGIN and COMMIT); the last one's rows. An error rolls all of them back."""
        conn = self.cursor.connection
        cursors = [conn.cursor() for _ in steps]
        with conn.pipeline():
            self.cursor.execute("BEGIN")
            for cursor, (statement, params) in zip(cursors, steps, strict=True):
                self.run(statement, params, cursor)
            self.cursor.execute("COMMIT")
        return list(cursors[-1].fetchall())


CONNECTIONS = Resource("metering_connections", lambda ctx: Connections(ctx.get(WRITE_ENGINE)), Connections.close)


def connections() -> Connections:
    """The hot path's connections to this context's database."""
    return context().get(CONNECTIONS)
