"""Where the metering hot path's statements (metering_statements.py) run: a small pool of
raw DBAPI connections per process (one writer on SQLite, a few autocommit ones on
PostgreSQL), the transaction wrappers, `Tx` (and PostgreSQL's pipelined `Tx.atomically`),
and `run_batched`, which batches an async route's calls and decides whether the work runs
on the event loop or on the metering threads. Also the SQLite WAL checkpoint the
background job runs off the request path.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.types.numeric import Int8Dumper
from sqlalchemy.engine import Engine

from billing_app.config import get_settings

# db.write_session takes the same lock: every SQLite writer, of this process or another,
# queues on it, and it hands over at once (SQLite's busy handler sleeps).
from billing_app.db import SQLITE_WRITER_LOCK, write_engine
from billing_app.services import metering_arrays
from billing_app.services.metering_statements import SQL

T = TypeVar("T")


# ---------------------------------------------------------------- connections


class Connections:
    """A tiny pool of raw DBAPI connections for one engine (one on SQLite), and as many
    threads to use them for async callers (`run_batched`), so no request waits for a
    connection in a thread of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.sql = SQL["sqlite" if self.is_sqlite else "postgresql"]
        size = 1 if self.is_sqlite else get_settings().metering_pg_connections
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="metering")
        # One entry per connection: an open one, or None for one to open.
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(size):
            self._free.put(None)
        self._opened: list[tuple[Any, Any]] = []  # (SQLAlchemy's wrapper, the DBAPI connection)
        self._lock = threading.Lock()

    def _open(self) -> Any:
        fairy = self.engine.raw_connection()  # runs db.py's connect hooks (WAL, busy timeout …)
        conn: Any = fairy.driver_connection
        fairy.detach()  # ours for good: SQLAlchemy's pool never hands it to anyone else
        if not self.is_sqlite:
            conn.autocommit = True  # transactions are explicit (BEGIN … COMMIT), or one statement
            conn.cursor_factory = psycopg.RawCursor  # the statements come with $1, $2 … (Statement.order)
            # Every hot-path plan is a handful of key lookups whatever the values: plan once per
            # prepared statement (psycopg prepares on the 5th run) instead of a custom plan per
            # call (EXPLAIN: 0.46 ms to plan the usage statement, 0.36 ms to run it).
            conn.execute("SET plan_cache_mode = force_generic_plan")
            # Every hot-path statement finds its rows by index. Statistics from when a table was
            # empty or small (a fresh database; a table that grew since autovacuum analyzed it)
            # make a sequential scan look cheaper, and the generic plan made then is kept: the
            # usage batch scanned all usage events for replays, authorize all holds for expired
            # ones, each call costing more as the tables grew (backend CPU per usage call 0.30 →
            # 0.50 ms over 10,000 calls, measured). Off, the planner takes the indexes whatever
            # the statistics say.
            conn.execute("SET enable_seqscan = off")
            # psycopg sends an int (or a list of ints) as smallint, integer or bigint by its
            # value, and prepares a statement per query *and* parameter types: each mix of sizes
            # of costs and token counts was a statement of its own, planned afresh for its first
            # five runs (2 ms for the usage batch). Every int is a bigint here: one prepared
            # statement per query.
            conn.adapters.register_dumper(int, Int8Dumper)
            metering_arrays.register(conn.adapters)  # the batches' typed arrays
        elif get_settings().background_jobs:
            conn.execute("PRAGMA wal_autocheckpoint=0")
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
                yield Tx(cursor, self)
                cursor.execute("COMMIT")
            except BaseException:
                with suppress(Exception):  # (a failed COMMIT can leave the transaction open)
                    cursor.execute("ROLLBACK")
                raise

    @contextmanager
    def autocommit(self) -> Iterator[Tx]:
        """PostgreSQL's authorize and usage: no transaction around the calls; each step is
        atomic on its own (one statement, or `Tx.atomically`'s pipelined BEGIN … COMMIT), so
        no row lock is held while a round trip is under way or a thread waits for the GIL."""
        with self._borrowed() as conn:
            cursor = conn.cursor()
            try:
                yield Tx(cursor, self)
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

    def run(self, name: str, params: Mapping[str, Any], cursor: Any = None) -> Any:
        """Statement `name` with `params` (and its literals) on the cursor (the Tx's own by
        default); returns the cursor."""
        cursor = cursor or self.cursor
        statement = self.sql[name]
        values = {**statement.literals, **params} if statement.literals else params
        if statement.order is None:
            cursor.execute(statement.sql, values)
        else:
            cursor.execute(statement.sql, [values[parameter] for parameter in statement.order])
        return cursor

    def one(self, name: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        return self.run(name, params).fetchone()

    def all(self, name: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return list(self.run(name, params).fetchall())

    def atomically(self, *steps: tuple[str, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """PostgreSQL: the statements in one transaction, in one round trip (pipelined with
        BEGIN and COMMIT); the last one's rows. An error rolls all of them back."""
        conn = self.cursor.connection
        cursors = [conn.cursor() for _ in steps]
        with conn.pipeline():
            self.cursor.execute("BEGIN")
            for cursor, (name, params) in zip(cursors, steps, strict=True):
                self.run(name, params, cursor)
            self.cursor.execute("COMMIT")
        return list(cursors[-1].fetchall())


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


C = TypeVar("C")


# PostgreSQL: batches of one kind on the metering threads at once, per event loop. One lets the
# most calls gather behind it: with two, each batch is half the size and waits on the other's
# row locks (measured: usage 2.0 → 1.6 k/s; four, 1.3 k/s).
PG_BATCHES_IN_FLIGHT = 1

# SQLite: how long a batch's first call waits for others to join it. The batch runs on the
# event loop, so meanwhile the loop reads the requests arriving (each comes from the server's
# own threads, a loop turn or more apart); batching by loop turn alone made batches of ~2 calls.
# Measured, 16 clients: batches of ~4; authorize 2.2 → 3.0–3.6 k/s, usage 1.7–2.0 → 2.3–3.4 k/s,
# p99 lower too (docs/benchmarks.md). A lone call waits this much longer. (PostgreSQL gains
# nothing: its batches already gather while the one before runs.)
SQLITE_BATCH_WINDOW_SECONDS = 0.0002


class _Batcher(Generic[C, T]):
    """The calls of one kind (authorize or usage) that an event loop gathers, made as one
    call of `run_many`, which answers a list of calls with one transaction (SQLite) or one
    statement (PostgreSQL). The batch shares its fixed costs (the round trip, BEGIN and
    COMMIT and their WAL writes, the key lookup, the org's debit, the rollup and month-spend
    updates) among its calls. Measured: SQLite 5.6 → 8.3 k/s authorize, 6.3 → 8.4 k/s usage;
    PostgreSQL docs/benchmarks.md.

    SQLite: the calls that arrive within SQLITE_BATCH_WINDOW_SECONDS of the first, run right
    here on the loop when no other thread of this process is writing, else on the metering
    thread. A batch takes well under a millisecond of CPU, and sqlite3 lets go of the GIL
    around every statement: handed to a thread, the GIL ping-pong between it and the event
    loop cost more than the work (measured: half the throughput, twice the CPU per request).
    Holding the writer lock means no other writer of this process is inside SQLite, so the
    loop never waits on one; another *process* holding it (the CLI, a second worker) sends
    the batch to the thread instead.

    PostgreSQL: on a metering thread, PG_BATCHES_IN_FLIGHT batches of a kind at a time; the
    calls that arrive meanwhile wait and go together as the next batch, so the busier the app,
    the larger the batches."""

    def __init__(self, run_many: Callable[[list[C]], list[T | Exception]]) -> None:
        self.run_many = run_many
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[C, asyncio.Future[T | Exception]]]] = {}
        self._running: dict[asyncio.AbstractEventLoop, int] = {}

    async def submit(self, call: C) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T | Exception] = loop.create_future()
        waiting = self._waiting.setdefault(loop, [])
        if not waiting:
            if connections().is_sqlite:
                loop.call_later(SQLITE_BATCH_WINDOW_SECONDS, self._flush, loop)
            else:
                loop.call_soon(self._flush, loop)
        waiting.append((call, future))
        answer = await future
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        pool = connections()
        if not pool.is_sqlite and self._running.get(loop, 0) >= PG_BATCHES_IN_FLIGHT:
            return  # the next batch goes when a running one is done
        waiting = self._waiting.pop(loop, [])
        if not waiting:
            return
        calls = [call for call, _ in waiting]
        futures = [future for _, future in waiting]
        if pool.is_sqlite and SQLITE_WRITER_LOCK.acquire(blocking=False):
            try:
                answers = self._answers(calls)
            finally:
                SQLITE_WRITER_LOCK.release()
            _deliver(futures, answers)
            return
        self._running[loop] = self._running.get(loop, 0) + 1
        done = loop.run_in_executor(pool.executor, self._answers, calls)
        done.add_done_callback(lambda finished: self._done(loop, futures, finished.result()))

    def _done(self, loop: asyncio.AbstractEventLoop, futures: list[Any], answers: list[T | Exception]) -> None:
        self._running[loop] -= 1
        _deliver(futures, answers)
        if self._waiting.get(loop):
            self._flush(loop)

    def _answers(self, calls: list[C]) -> list[T | Exception]:
        try:
            return self.run_many(calls)
        except Exception as error:  # (the database failed: every call gets the error)
            return [error] * len(calls)


def _deliver(futures: list[asyncio.Future[T | Exception]], answers: list[T | Exception]) -> None:
    for future, answer in zip(futures, answers, strict=True):
        if not future.done():  # (a caller that went away)
            future.set_result(answer)


_batchers: dict[Callable[..., Any], _Batcher[Any, Any]] = {}


async def run_batched(run_many: Callable[[list[C]], list[T | Exception]], call: C) -> T:
    """Make one call of a hot-path service function that takes a list of calls and answers
    each (`metering.record_usages`) for an async route, batched with the calls of the same
    kind that arrive meanwhile (`_Batcher`)."""
    batcher = _batchers.get(run_many) or _batchers.setdefault(run_many, _Batcher(run_many))
    return await batcher.submit(call)


def close_connections() -> None:
    global _current
    with _swap:
        if _current is not None:
            _current.close()
        _current = None


def checkpoint_wal() -> tuple[int, int, int] | None:
    """SQLite: copy the WAL back into the database, on a connection of its own, so that the
    next writer starts the log over from its beginning. Returns (busy, wal frames,
    checkpointed frames) of the last pass; None on PostgreSQL.

    Two PASSIVE passes. The first copies the bulk while writers carry on. Under writes that
    never pause it can never finish: frames keep arriving behind it, so the log never
    starts over and the -wal file grows for as long as the writes go on (~100 MB a second
    under the metering benchmark, every write paying for extending the file). The second
    pass holds the writer lock, so it copies the few frames written meanwhile and nothing
    comes after them; writers wait only for that moment."""
    engine = write_engine()
    if engine.dialect.name != "sqlite":
        return None
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        with SQLITE_WRITER_LOCK:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            busy, frames, done = cursor.fetchone() or (0, 0, 0)
        return int(busy), int(frames), int(done)
    finally:
        conn.close()
