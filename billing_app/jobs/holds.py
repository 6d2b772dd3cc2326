"""Metering housekeeping, off the request path: sweep expired holds, and on SQLite
checkpoint the WAL (the metering connection never does it inside a request — an
automatic checkpoint there pushed p99 past 100 ms, DESIGN.md)."""

from __future__ import annotations

import asyncio
import logging

from billing_app.config import get_settings
from billing_app.services.metering import expire_holds
from billing_app.services.metering_sql import checkpoint_wal

log = logging.getLogger(__name__)


async def hold_expiry_loop() -> None:
    """Lifespan task: delete expired holds every HOLD_SWEEP_INTERVAL_SECONDS. (An expired
    hold stops counting against the balance the moment it expires; this only tidies.)"""
    interval = get_settings().hold_sweep_interval_seconds
    while True:
        try:
            swept = await asyncio.to_thread(expire_holds)
            if swept:
                log.info("hold expiry: %d expired hold(s) released", swept)
        except Exception:
            log.exception("hold expiry pass failed")
        await asyncio.sleep(interval)


async def wal_checkpoint_loop() -> None:
    """Lifespan task (SQLite only): a PASSIVE checkpoint every WAL_CHECKPOINT_INTERVAL_SECONDS,
    in a thread, so the WAL stays small without a request ever paying for it."""
    settings = get_settings()
    if not settings.is_sqlite:
        return
    while True:
        try:
            await asyncio.to_thread(checkpoint_wal)
        except Exception:
            log.exception("WAL checkpoint failed")
        await asyncio.sleep(settings.wal_checkpoint_interval_seconds)
