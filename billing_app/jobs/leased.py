"""A background loop that runs in one worker at a time, whatever the number of app
processes and machines: each pass first takes (or renews) a lease in the database
(services/job_leases.py); the workers that do not get it skip the pass and try again
next interval, so when the holder dies its loop moves to another worker once the lease
expires. A long pass renews the lease as it goes; cancellation (SIGTERM: the app's
lifespan tasks are cancelled) gives it up at once, so a surviving worker takes over at
its next interval instead of waiting for the expiry.

The lease makes a loop run once rather than once per worker; it is not what keeps the
work exactly-once. Each item inside a pass is claimed on its own (an outbox row, a
webhook event, a stale order), so a pass that outlives its lease, or the CLI running the
same job by hand, never does an item twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from billing_app.services import job_leases

log = logging.getLogger(__name__)

LEASE_INTERVALS = 3  # a lease lasts this many intervals: the holder keeps it from pass to pass


async def run_leased(
    name: str,
    work: Callable[[], object],
    *,
    interval: float,
    lease_seconds: float | None = None,
    holder: str | None = None,
) -> None:
    """Forever: every `interval` seconds, run `work` (in a thread) if this process holds
    the lease `name`. A worker that dies keeps it for at most `lease_seconds`."""
    lease_seconds = lease_seconds or interval * LEASE_INTERVALS
    holder = holder or job_leases.holder_id()
    held = False
    acquiring: asyncio.Future[job_leases.Lease | None] | None = None
    try:
        while True:
            acquiring = asyncio.ensure_future(
                asyncio.to_thread(job_leases.acquire, name, seconds=lease_seconds, holder=holder)
            )
            try:
                lease = await asyncio.shield(acquiring)  # a cancel must not orphan the statement
            except Exception:
                log.exception("%s: could not take the lease", name)
                lease = None
            if (lease is not None) != held:
                held = lease is not None
                log.info("%s: %s", name, f"this worker runs it ({holder})" if held else "another worker runs it")
            if lease is not None:
                try:
                    await _pass_holding(name, work, lease_seconds=lease_seconds, holder=holder)
                except Exception:
                    log.exception("%s pass failed", name)
            await asyncio.sleep(interval)
    finally:
        if acquiring is not None and not acquiring.done():
            # Cancelled while taking the lease: let that statement land before giving it up,
            # or the lease could be taken after the release and held by a process on its way out.
            await asyncio.wait({acquiring}, timeout=5)
            if acquiring.done() and not acquiring.cancelled():
                acquiring.exception()  # retrieved: a failure here changes nothing
        _release(name, holder)


async def _pass_holding(name: str, work: Callable[[], object], *, lease_seconds: float, holder: str) -> None:
    """Run one pass in a thread, renewing the lease every third of its length meanwhile."""
    running = asyncio.ensure_future(asyncio.to_thread(work))
    while True:
        done, _ = await asyncio.wait({running}, timeout=lease_seconds / 3)
        if done:
            running.result()
            return
        try:
            renewed = await asyncio.to_thread(job_leases.renew, name, seconds=lease_seconds, holder=holder)
        except Exception:
            log.exception("%s: could not renew the lease", name)
            continue
        if renewed is None:
            log.warning("%s: lease lost during a long pass (items are claimed one by one: no harm)", name)


def _release(name: str, holder: str) -> None:
    """On the way out, synchronously (the loop is being cancelled): one short statement."""
    try:
        if job_leases.release(name, holder=holder):
            log.info("%s: lease released", name)
    except Exception:
        log.exception("%s: could not release the lease (it expires by itself)", name)
