"""SQLite's writer lock across processes: another process writing (the CLI, a second app
worker) makes this one's writers wait for it — at once when it lets go, never by SQLite's
sleeping busy handler — and the metering hot path steps off the event loop instead of
blocking it meanwhile."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from billing_app.db import SQLITE_WRITER_LOCK, write_engine
from billing_app.services import api_keys, ledger, metering, pricing
from billing_app.services.metering import run_batched
from tests.factories import make_account
from tests.servers import run_on_fresh_loop

# Holds the lock file until its stdin closes (as another app process would while writing).
HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""
# Exit 0 when the lock file is free, 1 when a process holds it.
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


def lock_file() -> str:
    return f"{write_engine().url.database}.writer-lock"


@pytest.fixture
def another_process(db) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """Call it to have another process take the lock (after the test's own set-up writes)."""
    holders: list[subprocess.Popen[str]] = []

    def take_the_lock() -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, lock_file()], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        return holder

    yield take_the_lock
    for holder in holders:
        if holder.poll() is None:
            holder.communicate(timeout=10)


def let_go(holder: subprocess.Popen[str]) -> None:
    holder.communicate(timeout=10)


def lock_is_free() -> bool:
    return subprocess.run([sys.executable, "-c", PROBE, lock_file()], check=False).returncode == 0


def test_a_writer_waits_for_another_process_and_goes_on_when_it_lets_go(another_process):
    org_id = make_account().principal.org_id
    start = ledger.get_balance(org_id=org_id)
    other = another_process()
    assert SQLITE_WRITER_LOCK.acquire(blocking=False) is False  # the other process has it
    done = threading.Event()

    def top_up() -> None:
        ledger.add_manual_entry(org_id=org_id, amount_micros=5_000_000, reason="while another process writes")
        done.set()

    writer = threading.Thread(target=top_up)
    writer.start()
    assert not done.wait(0.5)  # queued behind the other process, nothing written yet
    let_go(other)
    writer.join(timeout=10)
    assert done.is_set()
    assert ledger.get_balance(org_id=org_id) == start + 5_000_000
    assert lock_is_free()


def test_the_file_lock_is_held_until_the_outermost_release(db):
    lock_file()  # the lock follows the engine of this test's database
    with SQLITE_WRITER_LOCK:
        with SQLITE_WRITER_LOCK:  # a writer inside a writer (same thread)
            assert not lock_is_free()
        assert not lock_is_free()
    assert lock_is_free()


def test_the_hot_path_leaves_the_event_loop_free_while_another_process_writes(another_process):
    pricing.load_catalog()
    org_id = make_account().principal.org_id
    start = ledger.get_balance(org_id=org_id)
    key = api_keys.create_key(org_id=org_id, name="hot").secret
    other = another_process()

    async def scenario() -> tuple[int, metering.Debit]:
        ticks = 0
        usage = asyncio.ensure_future(
            run_batched(metering.record_usages, metering.UsageCall(key, "r1", "sandbox-echo", 10, 10))
        )
        for _ in range(20):  # the loop keeps serving while the usage waits for the lock
            await asyncio.sleep(0.01)
            ticks += 1
        assert not usage.done()
        await asyncio.to_thread(let_go, other)
        return ticks, await asyncio.wait_for(usage, timeout=10)

    ticks, debit = run_on_fresh_loop(scenario)
    assert ticks == 20
    assert debit.cost_micros > 0 and not debit.replayed
    assert ledger.get_balance(org_id=org_id) == start - debit.cost_micros
    assert ledger.audit() == []
