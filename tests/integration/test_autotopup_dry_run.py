"""The dry run over an org's real usage (made through the metering service at chosen times)
and its real ledger, on SQLite and PostgreSQL: the balance it starts from is worked out
backwards from today's, the top-ups it lists respect the rule, and it changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from billing_app.db import read_session
from billing_app.errors import Forbidden
from billing_app.ist import ist_day, ist_day_start, ist_month_start
from billing_app.models import LedgerEntry
from billing_app.models.types import utcnow
from billing_app.services import ledger, metering
from billing_app.services.autotopup import DryRun, dry_run, make_rule
from billing_app.services.topup_rules import TopupRules
from tests.factories import call_as, make_funded_key, make_member

RUPEE = 1_000_000
HOUR = timedelta(hours=1)
DAYS = 20
REQUEST_MICROS = 56_100_000  # 1M output tokens of sandbox-echo: ₹51/M × 1.10
LIMITS = TopupRules("INR", 100, 1000, (), 8500)


def rule(amount: int = 1000, cap: int = 5000):
    return make_rule(
        amount=amount,
        floor_micros=200 * RUPEE,
        monthly_cap=cap,
        method="upi",
        limits=LIMITS,
        lead_time=25 * HOUR,
    )


def spender(days: int) -> tuple[int, datetime]:
    """(org id, when its spending began): an org funded with ₹1,000 that then spends three
    requests of ₹56.10 a day, every 8 hours, for `days` days — more than it ever had, since
    metering never refuses a finished request. Its clock starts now, so the ledger's entries
    come first."""
    funded = make_funded_key(balance_micros=1000 * RUPEE)
    started = utcnow()
    for n in range(days * 3):
        metering.record_usage(
            api_key=funded.secret,
            request_id=f"r{n}",
            model="sandbox-echo",
            prompt_tokens=0,
            completion_tokens=1_000_000,
            now=started + HOUR + n * 8 * HOUR,
        )
    return funded.org_id, started


@pytest.fixture
def spending(any_db) -> tuple[int, datetime]:
    """(org id, the dry run's now): 20 days of spend, replayed at their end."""
    org_id, started = spender(DAYS)
    return org_id, started + DAYS * 24 * HOUR


def ledger_rows() -> int:
    with read_session() as session:
        return int(session.execute(sa.select(sa.func.count()).select_from(LedgerEntry)).scalar_one())


def per_month(ran: DryRun) -> dict[datetime, int]:
    totals: dict[datetime, int] = defaultdict(int)
    for topup in ran.topups:
        totals[ist_month_start(topup.charged_at)] += topup.amount_micros
    return totals


def test_the_rule_would_have_kept_the_org_running_and_the_dry_run_changes_nothing(spending):
    org_id, now = spending
    balance, rows = ledger.get_balance(org_id=org_id), ledger_rows()
    assert balance == 1000 * RUPEE - DAYS * 3 * REQUEST_MICROS  # really, it ran ₹2,366 short

    ran = dry_run(org_id=org_id, rule=rule(), now=now)

    assert ran.starting_balance_micros == 0  # the org was created inside the 30 days, empty
    assert [t.amount_micros for t in ran.topups] == [1000 * RUPEE] * 3
    for earlier, later in zip(ran.topups, ran.topups[1:], strict=False):
        assert later.notified_at >= earlier.charged_at + HOUR
    assert all(t.charged_at == t.notified_at + 25 * HOUR for t in ran.topups)
    assert not ran.would_refuse and ran.lowest_balance_micros > 0
    assert ran.charged_micros == 3000 * RUPEE
    assert (ledger.get_balance(org_id=org_id), ledger_rows()) == (balance, rows)


def test_too_small_a_top_up_still_runs_dry_and_says_when(spending):
    org_id, now = spending
    ran = dry_run(org_id=org_id, rule=rule(amount=100), now=now)
    assert ran.would_refuse and ran.refused_from is not None
    assert ran.lowest_balance_micros <= 0
    assert ran.start < ran.refused_from <= now


def test_the_monthly_cap_holds_top_ups_back(spending):
    org_id, now = spending
    ran = dry_run(org_id=org_id, rule=rule(cap=1000), now=now)
    assert all(total <= 1000 * RUPEE for total in per_month(ran).values())
    assert len(ran.topups) == len(per_month(ran)) <= 2  # one a month; 20 days span two at most
    assert ran.held_by_cap  # the next one was due within the month
    assert ran.would_refuse


def test_only_those_who_pay_may_preview(spending):
    org_id, now = spending
    developer = make_member(org_id, "developer")
    with pytest.raises(Forbidden):
        call_as(developer.principal, dry_run, org_id=org_id, rule=rule(), now=now)
    billing = make_member(org_id, "billing")
    assert call_as(billing.principal, dry_run, org_id=org_id, rule=rule(), now=now).topups


def test_the_balance_30_days_ago_is_worked_out_backwards(any_db):
    org_id, started = spender(40)
    now = started + 40 * 24 * HOUR
    ran = dry_run(org_id=org_id, rule=rule(), now=now)
    assert ran.start == ist_day_start(ist_day(now) - timedelta(days=29))
    before = sum(1 for n in range(40 * 3) if started + HOUR + n * 8 * HOUR < ran.start)
    assert ran.starting_balance_micros == 1000 * RUPEE - before * REQUEST_MICROS


def test_before_the_org_existed_there_is_nothing_to_replay(any_db):
    org_id, started = spender(1)
    ran = dry_run(org_id=org_id, rule=rule(), now=started - 24 * HOUR)
    assert ran.topups == [] and not ran.would_refuse and ran.start == ran.end
