"""Database engines and sessions.

Services open their own transactions with `write_session()` (or `read_session()` for
pages that only read). On SQLite a write transaction starts with BEGIN IMMEDIATE, so
two writers queue instead of failing half-way with "database is locked" when a read
lock must be upgraded; WAL lets readers go on meanwhile. Every SQLite writer also takes
`SQLITE_WRITER_LOCK` first (db/writer_lock.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from billing_app.config import get_settings
from billing_app.context import Resource, context
from billing_app.db.writer_lock import SQLITE_WRITER_LOCK

SQLITE_BUSY_TIMEOUT_MS = 30_000
# When a checkpoint lets the WAL start over, SQLite cuts the file back to this size, so a
# burst of writes does not leave a large -wal file behind for good. Above one checkpoint
# interval's writes at full speed (~30 MB at 0.25 s), so steady load never pays for
# extending the file again.
SQLITE_WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _configure_sqlite(engine: Engine, *, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def make_engine(url: str, *, for_writes: bool = True) -> Engine:
    """An engine whose pool keeps DATABASE_POOL_SIZE connections: requests run on up to 40
    threads, and a connection beyond the pool's size is opened and closed per request (on
    PostgreSQL a new backend each time, on SQLite its PRAGMAs again: that was most of a
    dashboard read's time under load)."""
    url = normalise_url(url)
    size = get_settings().database_pool_size
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=size,
            max_overflow=size,
        )
        _configure_sqlite(engine, begin="BEGIN IMMEDIATE" if for_writes else "BEGIN")
        if for_writes:
            SQLITE_WRITER_LOCK.use_file(engine.url.database)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=size)


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


WRITE_ENGINE = Resource("write_engine", lambda ctx: make_engine(ctx.settings.database_url), Engine.dispose)
# SQLite: an engine whose transactions begin without taking the write lock; elsewhere the same engine.
READ_ENGINE = Resource(
    "read_engine",
    lambda ctx: (
        make_engine(ctx.settings.database_url, for_writes=False) if ctx.settings.is_sqlite else ctx.get(WRITE_ENGINE)
    ),
    lambda engine: engine.dispose(),
)


def write_engine() -> Engine:
    return context().get(WRITE_ENGINE)


def read_engine() -> Engine:
    return context().get(READ_ENGINE)


@contextmanager
def write_session() -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    engine = write_engine()
    with (
        SQLITE_WRITER_LOCK if engine.dialect.name == "sqlite" else nullcontext(),
        Session(engine, expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(read_engine(), expire_on_commit=False) as session, session.begin():
        yield session
