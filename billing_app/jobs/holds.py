"""Metering housekeeping, off the request path: sweep expired holds, and on SQLite
checkpoint the WAL (the metering connection never does it inside a request — an
automatic checkpoint there pushed p99 past 100 ms, DESIGN.md).

The hold sweep runs in one worker at a time (the `hold_sweep` lease, jobs/every.py);
`expire_holds` is safe anywhere anyway, the lease only spares N workers the same work.
The WAL checkpoint stays per process on purpose: it exists only on SQLite, whose file
lives on one machine; a PASSIVE checkpoint never blocks a writer and two at once are
harmless (SQLite runs one, the other finds nothing to do); and a lease would add a write
transaction every 0.25 s — the very cost on the request path the checkpoint removes.
"""

from __future__ import annotations

import logging

from billing_app.config import get_settings
from billing_app.db import checkpoint_wal
from billing_app.jobs.every import every
from billing_app.services.metering import expire_holds

log = logging.getLogger(__name__)

LEASE_NAME = "hold_sweep"


def sweep_once() -> int:
    swept = expire_holds()
    if swept:
        log.info("hold expiry: %d expired hold(s) released", swept)
    return swept


async def hold_expiry_loop(*, interval: float | None = None, lease_seconds: float | None = None) -> None:
    """Lifespan task: delete expired holds every HOLD_SWEEP_INTERVAL_SECONDS, in one worker
    at a time. (An expired hold stops counting against the balance the moment it expires;
    this only tidies.)"""
    seconds = get_settings().hold_sweep_interval_seconds if interval is None else interval
    await every(seconds, sweep_once, lease=LEASE_NAME, lease_seconds=lease_seconds)


async def wal_checkpoint_loop() -> None:
    """Lifespan task (SQLite only): a PASSIVE checkpoint every WAL_CHECKPOINT_INTERVAL_SECONDS,
    in a thread, so the WAL stays small without a request ever paying for it."""
    settings = get_settings()
    if settings.is_sqlite:
        await every(settings.wal_checkpoint_interval_seconds, checkpoint_wal)
