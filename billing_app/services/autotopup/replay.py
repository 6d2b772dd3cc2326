"""The replay behind the dry run: walk a stretch of the org's real history a quarter hour at
a time, ask `decide` what auto top-up would have done at each step, and add the top-ups it
would have charged to the balance the org really had.

Pure (dry_run.py reads the figures), so tests and hypothesis can drive it directly. What it
assumes, because the usage rollups are per IST day (docs/autotopup.md):
- a day's spend is spread evenly over the part of the day inside the replay (the day the
  org was created starts at its creation, today ends now);
- the ledger's own entries (top-ups made by hand, promo credits, refunds) happen as they did:
  the rule's top-ups come on top of them, and the real usage is what it was (requests that
  were refused for lack of balance are not in it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from billing_app.ist import ist_day, ist_day_start
from billing_app.services.autotopup.decide import Action, charge_month_start, decide
from billing_app.services.autotopup.forecast import WINDOW_DAYS
from billing_app.services.autotopup.rule import Rule

STEP = timedelta(minutes=15)
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Past:
    """What really happened: the balance at `start`, the ledger entries after it in time
    order, and the usage cost per IST day (from the week before `start` up to `end`)."""

    start: datetime
    end: datetime
    starting_balance_micros: int
    entries: Sequence[tuple[datetime, int]]
    daily_spend: Mapping[date, int]


@dataclass(frozen=True)
class SimulatedTopup:
    notified_at: datetime
    charged_at: datetime  # after the replay's end: it would still be pending now
    amount_micros: int
    balance_at_notice_micros: int
    late: bool  # forecast to land only after the balance reached the floor


@dataclass(frozen=True)
class DryRun:
    start: datetime
    end: datetime
    starting_balance_micros: int
    topups: list[SimulatedTopup]
    lowest_balance_micros: int
    lowest_at: datetime
    # The first moment the org was spending with the balance at or below zero: from then its
    # requests would have been refused (402) even with the rule on. None: never.
    refused_from: datetime | None
    # The moments a due notice was held back by the monthly cap (the first of each month).
    held_by_cap: list[datetime] = field(default_factory=list)

    @property
    def would_refuse(self) -> bool:
        return self.refused_from is not None

    @property
    def charged_micros(self) -> int:
        return sum(t.amount_micros for t in self.topups if t.charged_at <= self.end)


class _Spend:
    """How much of the real usage was spent by a moment, each day's cost spread evenly."""

    def __init__(self, past: Past) -> None:
        self.past = past
        self.first = ist_day(past.start)
        self.before: dict[date, int] = {}  # cost of days inside the replay before each day
        self.spans: dict[date, tuple[datetime, datetime]] = {}  # each day's part inside it
        total = 0
        day = self.first
        while day <= ist_day(past.end):
            self.before[day] = total
            total += past.daily_spend.get(day, 0)
            begin = max(ist_day_start(day), past.start)
            self.spans[day] = begin, min(ist_day_start(day + timedelta(days=1)), past.end)
            day += timedelta(days=1)

    def of_day(self, day: date, moment: datetime) -> int:
        """Day `day`'s cost spent by `moment`."""
        cost = self.past.daily_spend.get(day, 0)
        if day < self.first:
            return cost
        begin, end = self.spans[day]
        if moment >= end:
            return cost
        if moment <= begin:
            return 0
        return cost * ((moment - begin) // _US) // ((end - begin) // _US)

    def by(self, moment: datetime) -> int:
        """All the cost spent from the replay's start to `moment`."""
        day = ist_day(moment)
        return self.before[day] + self.of_day(day, moment)

    def history(self, moment: datetime) -> dict[date, int]:
        """The rollups as the job would have read them at `moment`."""
        today = ist_day(moment)
        return {today - timedelta(days=n): self.of_day(today - timedelta(days=n), moment) for n in range(WINDOW_DAYS)}


def _steps(start: datetime, end: datetime) -> list[datetime]:
    """The moments after `start` the replay looks at: every STEP, and `end` itself."""
    if end <= start:
        return []
    moments = [start + STEP * n for n in range(1, (end - start) // STEP + 1)]
    if moments[-1:] != [end]:
        moments.append(end)
    return moments


def replay(past: Past, rule: Rule) -> DryRun:
    """What `rule` would have done over `past`."""
    spend = _Spend(past)
    entries = sorted(past.entries)
    next_entry, ledger_sum = 0, 0
    topups: list[SimulatedTopup] = []
    by_month: dict[datetime, int] = defaultdict(int)
    pending: SimulatedTopup | None = None
    last_debit_at: datetime | None = None
    added = 0
    lowest: tuple[int, datetime] | None = None
    refused_from: datetime | None = None
    held: dict[datetime, datetime] = {}
    spent_before = 0
    for moment in _steps(past.start, past.end):
        while next_entry < len(entries) and entries[next_entry][0] <= moment:
            ledger_sum += entries[next_entry][1]
            next_entry += 1
        if pending is not None and pending.charged_at <= moment:
            added += pending.amount_micros
            last_debit_at, pending = pending.charged_at, None
        spent = spend.by(moment)
        balance = past.starting_balance_micros + ledger_sum - spent + added
        if lowest is None or balance < lowest[0]:
            lowest = (balance, moment)
        if refused_from is None and balance <= 0 and spent > spent_before:
            refused_from = moment
        spent_before = spent
        month = charge_month_start(moment, rule)
        decision = decide(
            moment, balance, spend.history(moment), rule, by_month[month], pending is not None, last_debit_at
        )
        if decision.action == Action.NOTIFY and decision.charge_at is not None:
            pending = SimulatedTopup(moment, decision.charge_at, decision.amount_micros, balance, decision.late)
            topups.append(pending)
            by_month[month] += decision.amount_micros
        elif decision.action == Action.CAPPED and month not in held:
            held[month] = moment
    lowest = lowest or (past.starting_balance_micros, past.start)  # nothing to replay
    return DryRun(
        start=past.start,
        end=past.end,
        starting_balance_micros=past.starting_balance_micros,
        topups=topups,
        lowest_balance_micros=lowest[0],
        lowest_at=lowest[1],
        refused_from=refused_from,
        held_by_cap=list(held.values()),
    )
