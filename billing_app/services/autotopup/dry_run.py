"""The dry run: "what would this rule have done over the last 30 days?", before the person
switches it on. Read-only: it reads the org's balance, its ledger and its usage rollups, and
hands them to the pure replay (replay.py).

The balance 30 days ago is not stored anywhere; it is worked out backwards from today's:
the balance now, less every ledger entry since, plus every cost since (the invariant
`balance == Σ ledger − Σ usage` makes that exact).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session
from billing_app.errors import NotFound
from billing_app.ist import ist_day, ist_day_start
from billing_app.models import LedgerEntry, Org, UsageDaily
from billing_app.models.types import utcnow
from billing_app.services import roles
from billing_app.services.autotopup.forecast import WINDOW_DAYS
from billing_app.services.autotopup.replay import DryRun, Past, replay
from billing_app.services.autotopup.rule import Rule
from billing_app.services.roles import Permission

DAYS = 30


def read_past(*, org_id: int, now: datetime, days: int = DAYS) -> Past:
    """The org's last `days` IST days (today included, up to `now`), or since it was created."""
    first_day = ist_day(now) - timedelta(days=days - 1)
    with read_session() as session:
        org = session.execute(
            sa.select(col(Org.balance_micros), col(Org.created_at)).where(col(Org.id) == org_id)
        ).one_or_none()
        if org is None:
            raise NotFound("No such organisation.")
        balance, created_at = org
        start = min(max(ist_day_start(first_day), created_at), now)  # an org newer than `now`: nothing to replay
        entries = session.execute(
            sa.select(col(LedgerEntry.created_at), col(LedgerEntry.amount_micros))
            .where(col(LedgerEntry.org_id) == org_id, col(LedgerEntry.created_at) > start)
            .order_by(col(LedgerEntry.id))
        ).all()
        spend = session.execute(
            sa.select(col(UsageDaily.day), sa.func.sum(col(UsageDaily.cost_micros)))
            .where(
                col(UsageDaily.org_id) == org_id,
                col(UsageDaily.day) >= first_day - timedelta(days=WINDOW_DAYS),
            )
            .group_by(col(UsageDaily.day))
        ).all()
    daily = {day: int(cost) for day, cost in spend}
    since = sum(cost for day, cost in daily.items() if day >= ist_day(start))
    starting = balance - sum(int(amount) for _, amount in entries) + since
    return Past(
        start=start,
        end=now,
        starting_balance_micros=starting,
        entries=[(at, int(amount)) for at, amount in entries if at <= now],
        daily_spend={day: cost for day, cost in daily.items() if day <= ist_day(now)},
    )


def dry_run(*, org_id: int, rule: Rule, now: datetime | None = None) -> DryRun:
    """Each top-up `rule` would have notified and charged over the org's last 30 IST days, the
    lowest balance it would have left and whether requests would still have been refused.
    Changes nothing."""
    roles.check(org_id, Permission.PAY)
    return replay(read_past(org_id=org_id, now=now or utcnow()), rule)
