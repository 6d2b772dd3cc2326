"""One emulator however many workers: the sandbox's records kept in Redis.

With several app workers (or machines) each process builds its own Store and Dispatcher;
they agree through Redis. Every emulator request, and the bookkeeping of every webhook
delivery, runs in a *section*: a Redis lock is taken, the records are read back if another
process changed them since this one last saw them (a version counter says so), the work is
done on them in memory, and they are written back (when they changed) before the lock is
released. Emulator traffic is a test's or a demo's, so a snapshot of all its records per
change is simple and enough. The network call of a webhook delivery happens outside any
section, so the app that receives it can ask the emulator about the payment meanwhile.

Without REDIS_URL the app runs one worker, and sections cost nothing (webhooks.no_section)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, fields
from typing import Any

import redis.asyncio as redis
from redis.exceptions import LockError

from .deliveries import Delivery
from .entities import Order, Payment, Refund
from .errors import SERVER_ERROR, ApiError
from .mandates import Customer, Token
from .store import Store
from .webhooks import Dispatcher

# A section holds the lock for a few milliseconds; the lock expires by itself if its
# process dies holding it.
LOCK_EXPIRES_SECONDS = 10.0
LOCK_WAIT_SECONDS = 15.0
RECORDS_KEPT_SECONDS = 7 * 24 * 3600


def namespace_for(database_url: str) -> str:
    """One emulator per deployment, and a deployment is its database: every worker and
    machine of one app shares the emulator, two apps (or two test runs) never do."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return f"billing_app:sandbox:{digest}"


class SharedRecords:
    def __init__(self, *, redis_url: str, namespace: str, store: Store, dispatcher: Dispatcher) -> None:
        self.redis_url = redis_url
        self.store = store
        self.dispatcher = dispatcher
        self._records_key = f"{namespace}:records"
        self._version_key = f"{namespace}:version"
        self._lock_key = f"{namespace}:lock"
        self._version: int | None = None  # of the records this process holds
        self._saved: str | None = None  # those records as last read or written
        self._inside: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_sandbox_section", default=False)
        self._clients: dict[asyncio.AbstractEventLoop, redis.Redis] = {}

    def _client(self) -> redis.Redis:
        """A client per event loop (an asyncio connection belongs to the loop that opened it)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.Redis.from_url(self.redis_url)
        return client

    @asynccontextmanager
    async def section(self) -> AsyncIterator[None]:
        if self._inside.get():  # already in one (a request that records webhook events)
            yield
            return
        client = self._client()
        lock = client.lock(self._lock_key, timeout=LOCK_EXPIRES_SECONDS, sleep=0.002)
        if not await lock.acquire(blocking_timeout=LOCK_WAIT_SECONDS):
            raise ApiError("The sandbox is busy; try again.", code=SERVER_ERROR, status=503)
        entered = self._inside.set(True)
        try:
            await self._read(client)
            yield
            await self._write(client)
        finally:
            self._inside.reset(entered)
            with contextlib.suppress(LockError):  # expired meanwhile: nothing left to release
                await lock.release()

    async def _read(self, client: redis.Redis) -> None:
        version = int(await client.get(self._version_key) or 0)
        if version == self._version:
            return
        text = await client.get(self._records_key)
        if text is not None:
            restore(self.store, self.dispatcher, text.decode())
            self._saved = text.decode()
        self._version = version

    async def _write(self, client: redis.Redis) -> None:
        text = dump(self.store, self.dispatcher)
        if text == self._saved:
            return
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(self._records_key, text, ex=RECORDS_KEPT_SECONDS)
            pipe.incr(self._version_key)
            pipe.expire(self._version_key, RECORDS_KEPT_SECONDS)
            _, version, _ = await pipe.execute()
        self._saved, self._version = text, int(version)

    async def pending_deliveries(self) -> int:
        """Deliveries not yet delivered, failed, dropped or unsent, whichever worker sends them."""
        async with self.section():
            return sum(d.status in ("pending", "retrying") for d in self.dispatcher.deliveries.values())

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


# records <-> JSON -------------------------------------------------------------


def dump(store: Store, dispatcher: Dispatcher) -> str:
    return json.dumps(
        {
            "seq": store.next_seq,
            "orders": [asdict(o) for o in store.orders.values()],
            "payments": [asdict(p) for p in store.payments.values()],
            "refunds": [asdict(r) for r in store.refunds.values()],
            "customers": [asdict(c) for c in store.customers.values()],
            "tokens": [asdict(t) for t in store.tokens.values()],
            "clock_offset": store.clock.offset,
            "receipts": sorted(store.receipts),
            "idempotency": store.idempotency,
            "faults": store.faults.as_dict(),
            "generation": dispatcher.generation,
            "deliveries": [_delivery_record(d) for d in dispatcher.deliveries.values()],
        },
        sort_keys=True,
    )


def restore(store: Store, dispatcher: Dispatcher, text: str) -> None:
    records: dict[str, Any] = json.loads(text)
    store.next_seq = records["seq"]
    store.orders = {o["id"]: Order(**o) for o in records["orders"]}
    store.payments = {p["id"]: Payment(**p) for p in records["payments"]}
    store.refunds = {r["id"]: Refund(**r) for r in records["refunds"]}
    # .get: records written before Recurring Payments existed have none
    store.customers = {c["id"]: Customer(**c) for c in records.get("customers", [])}
    store.tokens = {t["id"]: Token(**t) for t in records.get("tokens", [])}
    store.clock.offset = records.get("clock_offset", 0)  # in place: the dispatcher holds the clock
    store.receipts = set(records["receipts"])
    store.idempotency = {key: (seen[0], seen[1]) for key, seen in records["idempotency"].items()}
    for switch in fields(store.faults):  # in place: the dispatcher holds the same object
        setattr(store.faults, switch.name, records["faults"].get(switch.name, switch.default))
    dispatcher.generation = records["generation"]
    dispatcher.deliveries = {d["event_id"]: _delivery(d) for d in records["deliveries"]}


def _delivery_record(delivery: Delivery) -> dict[str, Any]:
    return asdict(delivery) | {"body": delivery.body.decode()}


def _delivery(record: dict[str, Any]) -> Delivery:
    return Delivery(**record | {"body": record["body"].encode()})
