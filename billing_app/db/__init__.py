"""Database access: engines and ORM sessions for the services (`engines`), the one-writer
lock of SQLite (`writer_lock`), the hot path's raw connections and statements (`raw`) and
SQLite's WAL checkpoint (`wal`). Import from here: the names below are the package's."""

from billing_app.db.engines import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_WAL_SIZE_LIMIT,
    make_engine,
    normalise_url,
    read_engine,
    read_session,
    write_engine,
    write_session,
)
from billing_app.db.raw import Connections, Statement, Tx, connections
from billing_app.db.wal import checkpoint_wal
from billing_app.db.writer_lock import SQLITE_WRITER_LOCK, WriterLock

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_WAL_SIZE_LIMIT",
    "SQLITE_WRITER_LOCK",
    "Connections",
    "Statement",
    "Tx",
    "WriterLock",
    "checkpoint_wal",
    "connections",
    "make_engine",
    "normalise_url",
    "read_engine",
    "read_session",
    "write_engine",
    "write_session",
]
