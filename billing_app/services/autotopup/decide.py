"""The decision: given the balance, the spend and what auto top-up has done lately, should a
pre-debit notice go out now, and if not, why not and until when?

Pure (no database, no clock) so the job that sends notices and the dry run share it, and
hypothesis can drive it over any spend series. The order of the checks is the safety order:
a pending debit blocks everything (at most one per org), then the pause after the last debit,
then the forecast, and the monthly cap last, only when a notice is actually due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from billing_app.ist import ist_month_start, ist_next_month_start
from billing_app.services.autotopup.forecast import Forecast, forecast
from billing_app.services.autotopup.rule import CEILING_PAISE, Rule


class Action(StrEnum):
    NOTIFY = "notify"  # send the notice now; the debit of `amount_micros` lands at `charge_at`
    WAIT = "wait"  # not yet: look again by `until` (None: only once something changes)
    PENDING = "pending"  # a debit is notified and not yet settled: nothing more until it is
    COOLDOWN = "cooldown"  # the last debit was too recent: not before `until`
    CAPPED = "capped"  # the debit would pass the monthly cap: not before `until`


@dataclass(frozen=True)
class Decision:
    action: Action
    forecast: Forecast
    amount_micros: int = 0  # NOTIFY only
    charge_at: datetime | None = None  # NOTIFY only: when the debit is expected to land
    until: datetime | None = None
    # NOTIFY only: the debit lands after the balance is forecast to reach the floor (the
    # notice is late: the floor was already close, the rule was just switched on, or the
    # amount is too small for the spend).
    late: bool = False


def charge_month_start(now: datetime, rule: Rule) -> datetime:
    """The IST month (its first instant, UTC) a debit notified at `now` lands in: the month
    whose auto top-ups the caller sums as `month_spent`."""
    return ist_month_start(now + rule.lead_time)


def decide(
    now: datetime,
    balance: int,
    spend_history: Mapping[date, int],
    rule: Rule,
    month_spent: int,
    pending_debit: bool,
    last_debit_at: datetime | None,
) -> Decision:
    """What auto top-up does at `now`.

    `balance` is the org's balance (micros); `spend_history` its cost per IST day (the usage
    rollups, the last week at least); `month_spent` the auto top-ups charged or notified whose
    debit lands in the month `charge_month_start(now, rule)`; `pending_debit` whether a notified
    debit has not settled yet; `last_debit_at` when the last one landed (or failed).
    """
    if rule.amount_paise > CEILING_PAISE:  # make_rule refuses this; a hand-built Rule must too
        raise ValueError("an automatic debit above the ceiling needs the customer each time")
    outlook = forecast(now, balance, spend_history, rule)
    if pending_debit:
        return Decision(Action.PENDING, outlook)
    if last_debit_at is not None and now < last_debit_at + rule.cooldown:
        return Decision(Action.COOLDOWN, outlook, until=last_debit_at + rule.cooldown)
    if outlook.notify_at is None or outlook.notify_at > now:
        return Decision(Action.WAIT, outlook, until=outlook.notify_at)
    charge_at = now + rule.lead_time
    if month_spent + rule.amount_micros > rule.monthly_cap_micros:
        # The first moment a notice would land its debit in the next IST month.
        return Decision(Action.CAPPED, outlook, until=ist_next_month_start(charge_at) - rule.lead_time)
    assert outlook.floor_at is not None  # notify_at is set only with floor_at
    return Decision(
        Action.NOTIFY,
        outlook,
        amount_micros=rule.amount_micros,
        charge_at=charge_at,
        late=charge_at > outlook.floor_at,
    )
