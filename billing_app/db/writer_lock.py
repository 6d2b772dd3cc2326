"""`SQLITE_WRITER_LOCK`: every SQLite writer — threads of a process and processes (app
workers, the CLI) alike — takes it before BEGIN IMMEDIATE. SQLite's busy handler sleeps in
growing steps (a waiting writer could sleep for long, docs/benchmarks.md); a lock hands over
at once."""

from __future__ import annotations

import fcntl
import os
import threading


class WriterLock:
    """One writer at a time on a SQLite file: threads queue on a reentrant lock, processes
    on flock(2) of `<database>.writer-lock` (`use_file`). Reentrant within a thread; the
    file lock is taken by the outermost acquire and let go by the outermost release."""

    def __init__(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._path: str | None = None

    def use_file(self, database: str | None) -> None:
        """Lock `<database>.writer-lock` from now on (None: threads only, e.g. :memory:)."""
        path = f"{database}.writer-lock" if database and database != ":memory:" else None
        with self._threads:
            if path == self._path:
                return
            if self._fd is not None:
                os.close(self._fd)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path else None
            self._path = path

    def acquire(self, blocking: bool = True) -> bool:
        if not self._threads.acquire(blocking):
            return False
        if self._depth == 0 and self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process is writing
                self._threads.release()
                return False
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


SQLITE_WRITER_LOCK = WriterLock()
