"""Webhook dispatcher: signed deliveries with retries, run on the serving event loop.

Each event is serialised once; every delivery and redelivery of it sends the same
bytes under the same ``X-Razorpay-Event-Id``. The worker task starts lazily on the
loop of the first request that queues something, because the sandbox is mounted in
apps whose lifespan it does not control.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from . import ids
from .clock import Clock
from .deliveries import Delivery, sign
from .entities import JSON, Event
from .errors import ApiError, not_found
from .faults import Faults

log = logging.getLogger(__name__)


@asynccontextmanager
async def no_section() -> AsyncIterator[None]:
    """A section of one process's records: nothing to take or write back (see shared.py)."""
    yield


@dataclass(eq=False)
class _Job:
    event_id: str
    attempt: int  # 1-based within this delivery cycle
    forced: bool  # an explicit redelivery ignores webhook_drop
    generation: int


class Dispatcher:
    def __init__(
        self,
        *,
        webhook_secret: str,
        webhook_url: str | None,
        account_id: str,
        faults: Faults,
        backoff_base: float = 1.0,
        max_attempts: int = 8,
        timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()  # the store's: events are dated on the sandbox's clock
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.account_id = account_id
        self.faults = faults
        self.backoff_base = backoff_base
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.deliveries: dict[str, Delivery] = {}
        self.generation = 0  # bumped by reset(): jobs of an earlier generation are dropped
        # Where delivery bookkeeping runs: shared.SharedRecords.section with several workers.
        self.section: Callable[[], AbstractAsyncContextManager[None]] = no_section
        self.shared_pending: Callable[[], Awaitable[int]] | None = None
        self._pending: set[_Job] = set()  # queued, scheduled or in flight
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._in_flight: _Job | None = None
        self._interrupted: list[_Job] = []
        self._timers: dict[int, tuple[float, list[_Job], asyncio.TimerHandle]] = {}
        self._timer_keys = itertools.count()

    # recording ---------------------------------------------------------------
    def record(self, events: list[Event]) -> list[Delivery]:
        """Serialise and record events, then queue them (faults permitting)."""
        if not events:
            return []
        if self.faults.webhook_shuffle:
            events = list(events)
            if self.faults.webhook_shuffle_mode == "random":
                random.shuffle(events)
            else:
                events.reverse()
        batch = [self._serialise(event) for event in events]
        for delivery in batch:
            self.deliveries[delivery.event_id] = delivery
        if self.webhook_url is None:
            for delivery in batch:
                delivery.status = "unsent"
            return batch
        copies = 2 if self.faults.webhook_duplicate else 1
        jobs = [self._job(d.event_id) for _ in range(copies) for d in batch]
        self._schedule(jobs, self.faults.webhook_delay_seconds)
        return batch

    def _serialise(self, event: Event) -> Delivery:
        body: JSON = {
            "entity": "event",
            "account_id": self.account_id,
            "event": event.name,
            "contains": event.contains,
            "payload": {kind: {"entity": entity} for kind, entity in event.payload.items()},
            "created_at": self.clock.now(),
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        refs = {kind: str(entity["id"]) for kind, entity in event.payload.items()}
        return Delivery(ids.new_id("evt_"), event.name, raw, body["created_at"], refs)

    def _job(self, event_id: str, attempt: int = 1, forced: bool = False) -> _Job:
        job = _Job(event_id, attempt, forced, self.generation)
        self._pending.add(job)
        return job

    def redeliver(self, event_id: str) -> Delivery:
        delivery = self.deliveries.get(event_id)
        if delivery is None:
            raise not_found("event_id")
        if self.webhook_url is None:
            raise ApiError("No webhook URL is configured", field="webhook_url")
        delivery.status = "delivered" if delivery.delivered else "pending"
        self._schedule([self._job(event_id, forced=True)], 0.0)
        return delivery

    def reset(self) -> None:
        """Forget every delivery; queued, timed and interrupted jobs are dropped."""
        self.generation += 1
        self.deliveries.clear()
        self._pending.clear()
        self._interrupted.clear()
        for _, _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        while not self._queue.empty():
            self._queue.get_nowait()

    def summaries(self) -> list[JSON]:
        return [d.summary() for d in self.deliveries.values()]

    # scheduling --------------------------------------------------------------
    # Timers and the queue belong to one event loop. When requests arrive on a new
    # loop (a test client may run each request on its own), the worker restarts
    # there and takes along queued jobs, armed timers and an interrupted delivery.
    def _schedule(self, jobs: list[_Job], delay: float) -> None:
        loop = self._ensure_worker()
        if delay > 0:
            key = next(self._timer_keys)
            due = time.monotonic() + delay
            self._timers[key] = (due, jobs, loop.call_later(delay, self._fire, key))
        else:
            self._enqueue(jobs)

    def _fire(self, key: int) -> None:
        entry = self._timers.pop(key, None)
        if entry is not None:
            self._enqueue(entry[1])

    def _enqueue(self, jobs: list[_Job]) -> None:
        for job in jobs:
            if job.generation == self.generation:
                self._queue.put_nowait(job)

    def _ensure_worker(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is loop and self._task is not None and not self._task.done():
            return loop
        old, self._queue = self._queue, asyncio.Queue()
        self._enqueue(self._interrupted)
        self._interrupted = []
        while not old.empty():
            self._queue.put_nowait(old.get_nowait())
        if self._loop is not loop:
            now = time.monotonic()
            for key, (due, jobs, handle) in list(self._timers.items()):
                handle.cancel()
                self._timers[key] = (due, jobs, loop.call_later(max(0.0, due - now), self._fire, key))
        self._loop = loop
        # A context of its own: not the one of the request that happened to start it (which
        # is inside a section, so its deliveries would skip taking theirs).
        self._task = loop.create_task(self._run(), name="razorpay-sandbox-webhooks", context=contextvars.Context())
        return loop

    async def flush(self, timeout: float = 10.0) -> tuple[bool, int]:
        """Wait until nothing is queued, scheduled or in flight (with several workers: no
        delivery any of them has yet to send); (flushed, pending) — False on timeout."""
        if self._pending:
            self._ensure_worker()
        deadline = time.monotonic() + timeout
        while (pending := await self._pending_anywhere()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return not pending, pending

    async def _pending_anywhere(self) -> int:
        if self.shared_pending is None:
            return len(self._pending)
        return max(len(self._pending), await self.shared_pending())

    async def settle(self, timeout: float = 2.0) -> None:
        """After ``reset()``: let a delivery already on the wire finish first."""
        deadline = time.monotonic() + timeout
        while self._in_flight is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # delivery ----------------------------------------------------------------
    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                job = await self._queue.get()
                self._in_flight = job
                try:
                    await self._deliver(client, job)
                except asyncio.CancelledError:  # the loop is going away: resume on the next
                    self._interrupted.append(job)
                    raise
                except Exception:  # the worker must survive anything one delivery does
                    log.exception("webhook delivery %s failed unexpectedly", job.event_id)
                finally:
                    self._in_flight = None
                self._pending.discard(job)

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Razorpay-Webhook/v1",
            "X-Razorpay-Event-Id": delivery.event_id,
        }
        if self.faults.webhook_missing_signature:
            return headers
        secret = self.webhook_secret
        if self.faults.webhook_bad_signature:
            secret = "not-" + secret
        headers["X-Razorpay-Signature"] = sign(secret, delivery.body)
        return headers

    async def _deliver(self, client: httpx.AsyncClient, job: _Job) -> None:
        async with self.section():
            request = self._request_for(job)
        if request is None:
            return
        url, body, headers = request
        attempt: dict[str, Any] = {
            "at": time.time(),
            "url": url,
            "status_code": None,
            "error": None,
        }
        try:
            response = await client.post(url, content=body, headers=headers)
            attempt["status_code"] = response.status_code
        except httpx.HTTPError as exc:
            attempt["error"] = f"{type(exc).__name__}: {exc}"
        async with self.section():
            self._record_attempt(job, attempt)

    def _request_for(self, job: _Job) -> tuple[str, bytes, dict[str, str]] | None:
        """What to send for this job, or None when faults or a reset say not to send."""
        delivery = self.deliveries.get(job.event_id)
        if job.generation != self.generation or delivery is None:
            return None
        url = self.webhook_url
        if url is None:
            delivery.status = "delivered" if delivery.delivered else "unsent"
            return None
        if self.faults.webhook_drop and not job.forced:
            delivery.status = "delivered" if delivery.delivered else "dropped"
            return None
        return url, delivery.body, self._headers(delivery)

    def _record_attempt(self, job: _Job, attempt: dict[str, Any]) -> None:
        delivery = self.deliveries.get(job.event_id)
        if job.generation != self.generation or delivery is None:
            return
        delivery.attempts.append(attempt)
        code = attempt["status_code"]
        if code is not None and 200 <= code < 300:
            delivery.delivered = True
            delivery.status = "delivered"
        elif job.attempt < self.max_attempts:
            delivery.status = "delivered" if delivery.delivered else "retrying"
            retry = self._job(job.event_id, job.attempt + 1, job.forced)
            self._schedule([retry], self.backoff_base * 2 ** (job.attempt - 1))
        elif not delivery.delivered:
            delivery.status = "failed"
