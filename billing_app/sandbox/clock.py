"""The sandbox's clock: real time plus an offset the control API moves.

Recurring debits wait a day or more after their pre-debit notification; tests and demos
move this clock (``POST /_control/clock``) instead of sleeping. Every timestamp the
emulator writes (``created_at``, webhook times, notification and debit times) reads it,
so its records stay consistent with one another whatever the offset."""

from __future__ import annotations

from dataclasses import dataclass

from . import ids


@dataclass
class Clock:
    offset: int = 0  # seconds added to real time

    def now(self) -> int:
        return ids.now() + self.offset
