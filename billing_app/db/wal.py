"""The SQLite WAL checkpoint the background job runs off the request path (jobs/holds.py)."""

from __future__ import annotations

from billing_app.db.engines import write_engine
from billing_app.db.writer_lock import SQLITE_WRITER_LOCK


def checkpoint_wal() -> tuple[int, int, int] | None:
    """SQLite: copy the WAL back into the database, on a connection of its own, so that the
    next writer starts the log over from its beginning. Returns (busy, wal frames,
    checkpointed frames) of the last pass; None on PostgreSQL.

    Two PASSIVE passes. The first copies the bulk while writers carry on. Under writes that
    never pause it can never finish: frames keep arriving behind it, so the log never
    starts over and the -wal file grows for as long as the writes go on (every write paying
    for extending the file). The second pass holds the writer lock, so it copies the few
    frames written meanwhile and nothing comes after them; writers wait only for that moment."""
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
