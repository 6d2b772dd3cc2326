"""`every(seconds, fn)`: the one loop behind every background job (reconciler, hold sweep,
WAL checkpoint, email outbox).

Each pass runs `fn` in a thread (the work is blocking database and SMTP calls); a pass that
raises is logged and the loop goes on at the next interval. With `lease=`, a pass runs only
in the process holding that database lease (jobs/leased.py), so the loop runs in one worker
at a time however many app processes and machines start it. Cancellation (SIGTERM: the
app's lifespan tasks are cancelled) ends the loop and gives the lease up at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from billing_app.jobs.leased import LEASE_INTERVALS, LeasedPasses
from billing_app.services import job_leases

log = logging.getLogger(__name__)


async def every(
    seconds: float,
    fn: Callable[[], object],
    *,
    lease: str | None = None,
    lease_seconds: float | None = None,
    holder: str | None = None,
) -> None:
    """Forever: run `fn` in a thread, then wait `seconds`. With `lease`, only while this
    process holds the lease of that name; a worker that dies keeps it for at most
    `lease_seconds` (default: LEASE_INTERVALS intervals)."""
    name = lease or getattr(fn, "__qualname__", repr(fn))
    leased: LeasedPasses | None = None
    if lease is not None:
        lease_seconds = lease_seconds or seconds * LEASE_INTERVALS
        leased = LeasedPasses(lease, fn, lease_seconds=lease_seconds, holder=holder or job_leases.holder_id())
    try:
        while True:
            try:
                await (asyncio.to_thread(fn) if leased is None else leased.run_pass())
            except Exception:
                log.exception("%s pass failed", name)
            await asyncio.sleep(seconds)
    finally:
        if leased is not None:
            await leased.let_go()
