"""`run_batched`: an async route's metering call, made together with the calls of the same
kind that reach the event loop meanwhile, as one call of the list form
(`metering.authorize_many`, `metering.record_usages`). It also decides where the work runs:
on the event loop (SQLite, when no other thread of this process is writing) or on the
metering threads of the connection pool (db/raw.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from billing_app.context import Resource, context
from billing_app.db import SQLITE_WRITER_LOCK, connections

T = TypeVar("T")

C = TypeVar("C")


# PostgreSQL: batches of one kind on the metering threads at once, per event loop. One lets the
# most calls gather behind it: with two, each batch is half the size and waits on the other's
# row locks (measured slower, docs/benchmarks.md).
PG_BATCHES_IN_FLIGHT = 1

# SQLite: how long a batch's first call waits for others to join it. The batch runs on the
# event loop, so meanwhile the loop reads the requests arriving (each comes from the server's
# own threads, a loop turn or more apart); batching by loop turn alone made batches of ~2 calls,
# with the window ~4 and the hot path faster (docs/benchmarks.md). A lone call waits this much
# longer. (PostgreSQL gains nothing: its batches already gather while the one before runs.)
SQLITE_BATCH_WINDOW_SECONDS = 0.0002


class _Batcher(Generic[C, T]):
    """The calls of one kind (authorize or usage) that an event loop gathers, made as one
    call of `run_many`, which answers a list of calls with one transaction (SQLite) or one
    statement (PostgreSQL). The batch shares its fixed costs (the round trip, BEGIN and
    COMMIT and their WAL writes, the key lookup, the org's debit, the rollup and month-spend
    updates) among its calls (docs/benchmarks.md measured the gain).

    SQLite: the calls that arrive within SQLITE_BATCH_WINDOW_SECONDS of the first, run right
    here on the loop when no other thread of this process is writing, else on the metering
    thread. A batch takes well under a millisecond of CPU, and sqlite3 lets go of the GIL
    around every statement: handed to a thread, the GIL ping-pong between it and the event
    loop cost more than the work (measured, docs/benchmarks.md).
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


# This worker's batchers, one per list-form function: they gather the calls that reached *this*
# process's event loop, so they are per process by design (exactly-once across workers is the
# database's: the request id). Held by the AppContext like every other per-process piece.
BATCHERS: Resource[dict[Callable[..., Any], _Batcher[Any, Any]]] = Resource("metering_batchers", lambda ctx: {})


async def run_batched(run_many: Callable[[list[C]], list[T | Exception]], call: C) -> T:
    """Make one call of a hot-path service function that takes a list of calls and answers
    each (`metering.record_usages`, `metering.authorize_many`) for an async route, batched with the calls of the same
    kind that arrive meanwhile (`_Batcher`)."""
    batchers = context().get(BATCHERS)
    batcher = batchers.get(run_many) or batchers.setdefault(run_many, _Batcher(run_many))
    return await batcher.submit(call)
