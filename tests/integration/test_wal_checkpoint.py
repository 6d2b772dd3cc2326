"""SQLite's WAL under writes that never pause: the checkpoint job brings the log back to its
start, so the -wal file stays the size of one interval's writes. (A checkpoint that only
runs alongside the writers never catches up with them, so the log never starts over: under
the metering benchmark the file grew by ~100 MB a second, and every write paid for
extending it.)"""

from __future__ import annotations

import os
import threading
import time

import pytest

from billing_app.context import reset_context
from billing_app.db import SQLITE_WAL_SIZE_LIMIT, checkpoint_wal, write_engine
from billing_app.services import ledger, metering
from tests.factories import make_funded_key

PASSES = 40
MIN_DEBITS = 400
PAGE_SIZE = 4096


@pytest.fixture
def funded_key(db, monkeypatch) -> tuple[int, int, str]:
    """(org id, its balance, an API key), with the app's background jobs on: only the job
    checkpoints, never a write."""
    monkeypatch.setenv("BACKGROUND_JOBS", "true")
    reset_context()
    funded = make_funded_key(name="steady")
    return funded.org_id, ledger.get_balance(org_id=funded.org_id), funded.secret


def wal_bytes() -> int:
    return os.path.getsize(f"{write_engine().url.database}-wal")


def test_the_wal_starts_over_while_writes_go_on(funded_key):
    org_id, start, key = funded_key
    stop = threading.Event()
    debits: list[int] = []

    def write_without_pause() -> None:
        while not stop.is_set():
            debit = metering.record_usage(
                api_key=key, request_id=f"r{len(debits)}", model="sandbox-echo", prompt_tokens=10, completion_tokens=10
            )
            debits.append(debit.cost_micros)

    writer = threading.Thread(target=write_without_pause)
    writer.start()
    try:
        passes = 0
        # At least PASSES checkpoints and enough debits to matter, however fast the machine.
        while passes < PASSES or len(debits) < MIN_DEBITS:
            time.sleep(0.025)
            checkpoint_wal()
            passes += 1
    finally:
        stop.set()
        writer.join(timeout=30)

    # Each debit writes at least four pages (event, org, rollup, key) to the log. Had the
    # log never started over, the file would hold all of them; it holds under a quarter.
    assert wal_bytes() < len(debits) * PAGE_SIZE, (wal_bytes(), len(debits))
    assert ledger.get_balance(org_id=org_id) == start - sum(debits)
    assert ledger.audit() == []


def test_a_burst_does_not_leave_a_large_wal_file_behind(funded_key):
    _, _, key = funded_key

    def debit(request_id: str) -> None:
        metering.record_usage(
            api_key=key, request_id=request_id, model="sandbox-echo", prompt_tokens=1, completion_tokens=1
        )

    for i in range(4000):  # ~80 MB of log with no checkpoint in between
        debit(f"b{i}")
    assert wal_bytes() > SQLITE_WAL_SIZE_LIMIT
    checkpoint_wal()
    debit("after")  # starts the log over, and cuts the file back
    assert wal_bytes() <= SQLITE_WAL_SIZE_LIMIT
