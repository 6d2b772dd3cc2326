"""Passes of a background loop that run in one worker at a time, whatever the number of
app processes and machines: each pass first takes (or renews) a lease in the database
(services/job_leases.py); the workers that do not get it skip the pass and try again
next interval, so when the holder dies its loop moves to another worker once the lease
expires. A long pass renews the lease as it goes; the loop's end (SIGTERM cancels it)
gives it up at once, so a surviving worker takes over at its next interval instead of
waiting for the expiry. The loop itself is jobs/every.py.

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


class LeasedPasses:
    """The lease `name` taken before each pass of `work`, renewed during it, let go at the end."""

    def __init__(self, name: str, work: Callable[[], object], *, lease_seconds: float, holder: str) -> None:
        self.name, self.work, self.lease_seconds, self.holder = name, work, lease_seconds, holder
        self._held = False
        self._acquiring: asyncio.Future[job_leases.Lease | None] | None = None

    async def run_pass(self) -> None:
        """One pass of `work` (in a thread) if this process gets the lease; none otherwise."""
        self._acquiring = asyncio.ensure_future(
            asyncio.to_thread(job_leases.acquire, self.name, seconds=self.lease_seconds, holder=self.holder)
        )
        try:
            lease = await asyncio.shield(self._acquiring)  # a cancel must not orphan the statement
        except Exception:
            log.exception("%s: could not take the lease", self.name)
            lease = None
        if (lease is not None) != self._held:
            self._held = lease is not None
            log.info(
                "%s: %s", self.name, f"this worker runs it ({self.holder})" if self._held else "another worker runs it"
            )
        if lease is not None:
            await self._pass_holding()

    async def _pass_holding(self) -> None:
        """Run one pass in a thread, renewing the lease every third of its length meanwhile."""
        running = asyncio.ensure_future(asyncio.to_thread(self.work))
        while True:
            done, _ = await asyncio.wait({running}, timeout=self.lease_seconds / 3)
            if done:
                running.result()
                return
            try:
                renewed = await asyncio.to_thread(
                    job_leases.renew, self.name, seconds=self.lease_seconds, holder=self.holder
                )
            except Exception:
                log.exception("%s: could not renew the lease", self.name)
                continue
            if renewed is None:
                log.warning("%s: lease lost during a long pass (items are claimed one by one: no harm)", self.name)

    async def let_go(self) -> None:
        """On the way out (the loop is being cancelled): give the lease up."""
        acquiring = self._acquiring
        if acquiring is not None and not acquiring.done():
            # Cancelled while taking the lease: let that statement land before giving it up,
            # or the lease could be taken after the release and held by a process on its way out.
            await asyncio.wait({acquiring}, timeout=5)
            if acquiring.done() and not acquiring.cancelled():
                acquiring.exception()  # retrieved: a failure here changes nothing
        try:  # synchronously: one short statement
            if job_leases.release(self.name, holder=self.holder):
                log.info("%s: lease released", self.name)
        except Exception:
            log.exception("%s: could not release the lease (it expires by itself)", self.name)
