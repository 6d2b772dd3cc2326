"""Job leases (services/job_leases.py) and the claims built on them, on SQLite and
PostgreSQL: one holder at a time, expiry hands over, release frees, only the holder
renews; a leased loop runs in one of several workers and lets go when cancelled; a
webhook event and a stale order are claimed by one worker at a time."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from billing_app.db import read_session, write_engine, write_session
from billing_app.jobs import reconciler
from billing_app.jobs.every import every
from billing_app.models import OrderStatus, PaymentOrder, WebhookEvent
from billing_app.models.types import utcnow
from billing_app.services import job_leases, stale_orders, webhooks
from tests.factories import make_account
from tests.servers import run_on_fresh_loop

ROOT = Path(__file__).resolve().parents[2]


def test_only_one_of_two_holders_gets_it(any_db):
    first = job_leases.acquire("reconciler", seconds=60, holder="host-a:1:aaaa")
    assert first is not None and first.holder == "host-a:1:aaaa"
    assert job_leases.acquire("reconciler", seconds=60, holder="host-b:2:bbbb") is None
    again = job_leases.acquire("reconciler", seconds=60, holder="host-a:1:aaaa")  # the holder: a renewal
    assert again is not None and again.expires_at >= first.expires_at
    held = job_leases.current("reconciler")
    assert held is not None and held.holder == "host-a:1:aaaa"
    # another name is another lease
    assert job_leases.acquire("email_outbox", seconds=60, holder="host-b:2:bbbb") is not None


def test_many_holders_racing_for_one_lease_one_wins(any_db):
    holders = [f"host:{n}:race" for n in range(8)]
    barrier = threading.Barrier(len(holders))
    won: list[str] = []

    def contender(holder: str) -> None:
        barrier.wait()
        if job_leases.acquire("hold_sweep", seconds=60, holder=holder) is not None:
            won.append(holder)

    threads = [threading.Thread(target=contender, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1
    held = job_leases.current("hold_sweep")
    assert held is not None and held.holder == won[0]


def test_expiry_lets_another_take_over(any_db):
    assert job_leases.acquire("reconciler", seconds=0.3, holder="dead:1:x") is not None  # then it dies
    assert job_leases.acquire("reconciler", seconds=60, holder="live:2:y") is None
    time.sleep(0.4)
    taken = job_leases.acquire("reconciler", seconds=60, holder="live:2:y")
    assert taken is not None and taken.holder == "live:2:y"
    # The old holder waking up can neither renew nor release what is no longer its own.
    assert job_leases.renew("reconciler", seconds=60, holder="dead:1:x") is None
    assert job_leases.release("reconciler", holder="dead:1:x") is False
    held = job_leases.current("reconciler")
    assert held is not None and held.holder == "live:2:y"


def test_release_frees_it_at_once(any_db):
    assert job_leases.acquire("email_outbox", seconds=600, holder="a:1:x") is not None
    assert job_leases.release("email_outbox", holder="b:2:y") is False  # not b's to give up
    assert job_leases.acquire("email_outbox", seconds=600, holder="b:2:y") is None
    assert job_leases.release("email_outbox", holder="a:1:x") is True
    assert job_leases.current("email_outbox") is None
    assert job_leases.acquire("email_outbox", seconds=600, holder="b:2:y") is not None


def test_renewal_by_the_holder_only(any_db):
    assert job_leases.acquire("hold_sweep", seconds=0.5, holder="a:1:x") is not None
    assert job_leases.renew("hold_sweep", seconds=60, holder="b:2:y") is None
    renewed = job_leases.renew("hold_sweep", seconds=60, holder="a:1:x")
    assert renewed is not None
    time.sleep(0.6)  # past the first expiry: the renewal holds
    assert job_leases.acquire("hold_sweep", seconds=60, holder="b:2:y") is None
    assert job_leases.renew("nothing-held", seconds=60, holder="a:1:x") is None


def test_purge_deletes_only_long_expired_leases(any_db):
    job_leases.acquire("webhook_event:1", seconds=0.1, holder="a:1:x")
    job_leases.acquire("reconciler", seconds=60, holder="a:1:x")
    time.sleep(0.2)
    assert job_leases.purge_expired(older_than_seconds=3600) == 0
    assert job_leases.purge_expired(older_than_seconds=0) == 1
    assert job_leases.current("webhook_event:1") is None
    assert job_leases.current("reconciler") is not None


def test_holder_ids_are_unique_per_process():
    mine = job_leases.holder_id()
    host, pid, random_part = mine.split(":")
    assert host == socket.gethostname()[:60] and pid == str(os.getpid()) and len(random_part) == 12
    assert job_leases.holder_id() == mine  # stable within the process
    other = subprocess.run(
        [sys.executable, "-c", "from billing_app.services import job_leases; print(job_leases.holder_id())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other != mine and other.split(":")[1] != pid
    claims = {job_leases.claim_holder() for _ in range(3)}
    assert len(claims) == 3 and all(claim.startswith(mine + "/") for claim in claims)


def test_a_leased_loop_runs_in_one_worker_and_moves_when_it_is_cancelled(any_db):
    passes: dict[str, int] = {"w1": 0, "w2": 0}

    def work(worker: str) -> None:
        passes[worker] += 1

    async def until(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 15  # generous: a loaded machine is slow, not wrong
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    async def scenario() -> None:
        loops = {
            worker: asyncio.create_task(
                every(0.05, lambda w=worker: work(w), lease="demo", lease_seconds=60, holder=f"host:{worker}")
            )
            for worker in ("w1", "w2")
        }
        await until(lambda: sum(passes.values()) >= 5, "five passes")
        assert sorted(passes.values())[0] == 0  # one worker did every pass
        holder = job_leases.current("demo")
        assert holder is not None
        running = holder.holder.removeprefix("host:")
        idle = "w2" if running == "w1" else "w1"
        loops[running].cancel()  # SIGTERM: the lifespan tasks are cancelled
        await asyncio.gather(loops[running], return_exceptions=True)
        # released at once: the other worker takes over long before the 60 s lease would expire
        await until(lambda: passes[idle] > 0, "the other worker's first pass")
        loops[idle].cancel()
        await asyncio.gather(loops[idle], return_exceptions=True)
        assert job_leases.current("demo") is None

    run_on_fresh_loop(scenario)  # not asyncio.run: the browser tests own this thread's loop


def test_a_long_pass_keeps_its_lease(any_db):
    started, finish = threading.Event(), threading.Event()

    def slow_pass() -> None:
        started.set()
        finish.wait(30)  # a pass that outlasts its lease: the loop renews the lease meanwhile

    async def scenario() -> None:
        loop = asyncio.create_task(every(10, slow_pass, lease="slow", lease_seconds=2, holder="host:a"))
        await asyncio.to_thread(started.wait, 15)
        await asyncio.sleep(4)  # twice the lease: without renewal it would have expired
        assert await asyncio.to_thread(job_leases.acquire, "slow", seconds=5, holder="host:b") is None
        finish.set()
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        assert await asyncio.to_thread(job_leases.acquire, "slow", seconds=5, holder="host:b") is not None

    run_on_fresh_loop(scenario)  # not asyncio.run: the browser tests own this thread's loop


def stored_event(event: str = "payment.failed") -> int:
    """A correctly signed event we do not act on (processing asks nobody)."""
    body = json.dumps({"event": event, "payload": {}}).encode()
    with write_session() as session:
        row = WebhookEvent(event_id=f"evt_{time.monotonic_ns()}", event_type=event, raw_body=body, signature_ok=True)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def processed_at(event_row_id: int):
    with read_session() as session:
        row = session.get(WebhookEvent, event_row_id)
        assert row is not None
        return row.processed_at


def test_a_webhook_event_is_processed_under_one_claim(any_db):
    event_row_id = stored_event()
    name = webhooks.claim_name(event_row_id)
    # A worker claimed it and died: nobody else processes it until the claim expires.
    assert job_leases.acquire(name, seconds=0.4, holder=job_leases.claim_holder()) is not None
    assert webhooks.process(event_row_id=event_row_id) is False
    assert processed_at(event_row_id) is None
    time.sleep(0.5)
    assert webhooks.process(event_row_id=event_row_id) is True
    assert processed_at(event_row_id) is not None
    assert job_leases.current(name) is None  # let go when done
    assert webhooks.process(event_row_id=event_row_id) is False  # done: never again


def test_the_reconciler_takes_only_events_left_for_a_while(any_db):
    fresh = stored_event()
    report = reconciler.reconcile_once(older_than_seconds=3600)
    assert report.events_processed == 0  # the receiving worker has EVENT_GRACE_SECONDS to finish it
    with write_engine().begin() as conn:
        conn.execute(
            sa.update(WebhookEvent)
            .where(WebhookEvent.id == fresh)  # type: ignore[arg-type]
            .values(received_at=utcnow() - timedelta(seconds=reconciler.EVENT_GRACE_SECONDS + 1))
        )
    assert reconciler.reconcile_once(older_than_seconds=3600).events_processed == 1
    assert processed_at(fresh) is not None


def pending_order() -> str:
    org_id = make_account().principal.org_id
    order_id = f"order_Claim{time.monotonic_ns() % 10**9:09d}"
    with write_session() as session:
        session.add(
            PaymentOrder(
                org_id=org_id,
                receipt=f"rcpt_{order_id}",
                razorpay_order_id=order_id,
                amount_units=500,
                amount_paise=50_000,
                credits_micros=500_000_000,
                status=OrderStatus.PENDING,
            )
        )
    return order_id


def test_a_stale_order_is_claimed_by_one_reconciler_per_interval(any_db):
    order_id = pending_order()
    barrier = threading.Barrier(6)
    wins: list[bool] = []

    def contender() -> None:
        barrier.wait()
        wins.append(stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=0))

    threads = [threading.Thread(target=contender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(wins) == [False] * 5 + [True]
    # Even `reconcile --older-than 0` leaves an order just claimed alone for ORDER_CLAIM_SECONDS.
    assert stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=0) is False
    with write_engine().begin() as conn:
        conn.execute(
            sa.update(PaymentOrder)
            .where(PaymentOrder.razorpay_order_id == order_id)  # type: ignore[arg-type]
            .values(last_checked_at=utcnow() - timedelta(seconds=stale_orders.ORDER_CLAIM_SECONDS + 1))
        )
    assert stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=0) is True
    assert stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=0) is False
    with write_engine().begin() as conn:
        conn.execute(
            sa.update(PaymentOrder)
            .where(PaymentOrder.razorpay_order_id == order_id)  # type: ignore[arg-type]
            .values(status=OrderStatus.PAID, last_checked_at=None)
        )
    assert stale_orders.claim_order(razorpay_order_id=order_id, older_than_seconds=0) is False  # paid: never
