"""Batched metering calls (SQLite: the calls that reach the event loop within
SQLITE_BATCH_WINDOW_SECONDS of the first share one transaction). A batch answers each call
exactly as making the calls one by one would, leaves the same books, and one call that fails
in the database cannot fail the others or leave anything half-written."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from billing_app.db import write_engine
from billing_app.errors import InsufficientCredits
from billing_app.services import api_keys, ledger, metering, pricing, usage
from billing_app.services.metering import AuthorizeCall, UsageCall, batcher, run_batched
from tests.factories import make_account, set_balance
from tests.servers import run_on_fresh_loop

MODEL = "sandbox-echo"  # ₹12.75 / ₹51.00 per million tokens in, out
NOW = datetime(2026, 11, 30, 18, 29, tzinfo=UTC)  # 23:59 IST: some calls land on the next day
LATER = datetime(2026, 11, 30, 18, 31, tzinfo=UTC)
START = 300_000  # room for a handful of holds of ~56,100
BUDGET = 60_000
THRESHOLD = 150_000
_emails = itertools.count()


def funded_org() -> tuple[int, list[str]]:
    """An org with START and three keys: no budget, a small budget, revoked."""
    org_id = make_account(email=f"batch{next(_emails)}@example.com").principal.org_id
    set_balance(org_id, START)
    with write_engine().begin() as conn:  # low-balance alerts fall due on the way down
        conn.execute(
            sa.text("update org set low_balance_threshold_micros = :t where id = :o"), {"t": THRESHOLD, "o": org_id}
        )
    keys = [
        api_keys.create_key(org_id=org_id, name="plain").secret,
        api_keys.create_key(org_id=org_id, name="budget", monthly_budget_micros=BUDGET).secret,
    ]
    revoked = api_keys.create_key(org_id=org_id, name="revoked")
    api_keys.revoke_key(org_id=org_id, key_id=revoked.key.id or 0)
    return org_id, [*keys, revoked.secret, "sk-live-unknown"]


def books(org_id: int) -> dict[str, Any]:
    """What a batch must leave exactly as the calls one by one would."""
    queries = {
        "balance": "select balance_micros from org where id = :o",
        "hold total": "select coalesce(sum(held_micros), 0) from hold_total where org_id = :o",
        "holds": "select count(*), coalesce(sum(amount_micros), 0) from hold where org_id = :o",
        "events": "select count(*), coalesce(sum(cost_micros), 0) from usage_event where org_id = :o",
        "rollups": "select day, model, requests, prompt_tokens, completion_tokens, cost_micros from usage_daily"
        " where org_id = :o order by day, model, api_key_id",
        "month spend": "select month_spend_micros, spend_month from api_key where org_id = :o order by id",
        "alerts": "select kind, status from email_outbox where org_id = :o and kind = 'low_balance' order by id",
    }
    with write_engine().connect() as conn:
        return {name: conn.execute(sa.text(sql), {"o": org_id}).all() for name, sql in queries.items()}


def outcome(answer: Any) -> Any:
    """An answer without the ids that differ between two orgs."""
    if isinstance(answer, Exception):
        return type(answer).__name__
    if isinstance(answer, metering.Authorization):
        return ("hold", answer.hold_micros, answer.available_micros, answer.expires_at)
    return ("debit", answer.cost_micros, answer.balance_micros, answer.replayed)


def _many_for(batch: list[Any]) -> Any:
    return metering.authorize_many if isinstance(batch[0], AuthorizeCall) else metering.record_usages


def test_a_call_the_database_fails_does_not_fail_the_others(any_db):
    pricing.load_catalog()
    org_id, keys = funded_org()
    with write_engine().begin() as conn:  # a price written around the CLI's checks: its costs overflow
        conn.execute(
            sa.text(
                "insert into model_price (model, display_name, provider, input_micros_per_million,"
                " output_micros_per_million, context_window, active, source, updated_at)"
                " values ('absurd', 'Absurd', 'x', 9000000000000000000, 9000000000000000000, 0, true, 'admin',"
                " '2026-11-30 00:00:00.000000')"
            )
        )
    good = UsageCall(keys[0], "good-1", MODEL, 100, 100, now=NOW)
    bad = UsageCall(keys[0], "bad", "absurd", 10**9, 10**9, now=NOW)  # ~10²² micros: past 64 bits
    answers = metering.record_usages([good, bad, replace(good, request_id="good-2")])

    first, failed, second = answers
    assert isinstance(first, metering.Debit) and isinstance(second, metering.Debit)
    assert isinstance(failed, Exception) and not isinstance(failed, metering.Debit)
    assert ledger.get_balance(org_id=org_id) == START - first.cost_micros - second.cost_micros
    assert books(org_id)["events"] == [(2, first.cost_micros + second.cost_micros)]
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []


def test_concurrent_pairs_through_the_event_loop_batch_and_keep_the_books(any_db):
    """64 authorize → usage pairs at once on one event loop, as the API's routes make them:
    calls are batched, none is authorized once balance − holds ≤ 0, and afterwards
    balance == start − Σ recorded costs."""
    pricing.load_catalog()
    org_id, keys = funded_org()
    sizes: list[int] = []

    def counted(many: Any) -> Any:
        def run(batch: list[Any]) -> list[Any]:
            sizes.append(len(batch))
            return many(batch)

        return run

    authorize, record = counted(metering.authorize_many), counted(metering.record_usages)

    async def pair(i: int) -> int:
        try:
            await run_batched(authorize, AuthorizeCall(keys[0], f"p{i}", MODEL, max_tokens=1000))
        except InsufficientCredits:
            return 0
        await asyncio.sleep(0)
        debit = await run_batched(record, UsageCall(keys[0], f"p{i}", MODEL, 0, 1000))
        return debit.cost_micros

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(pair(i) for i in range(64))))

    costs = run_on_fresh_loop(scenario)
    granted = [cost for cost in costs if cost]
    assert max(sizes) > 1  # the calls did share transactions
    # A usage takes its hold off and debits the same 56,100, so balance − holds only moves
    # with authorizes: 300,000 has room for six (the sixth starts with 19,500 left).
    assert len(granted) == 6
    assert ledger.get_balance(org_id=org_id) == START - sum(granted)
    assert books(org_id)["holds"] == [(0, 0)]
    assert ledger.audit() == []
    assert metering.hold_mismatches() == []


def test_sqlite_calls_arriving_a_few_loop_turns_apart_share_one_transaction(sqlite_db, monkeypatch):
    """Requests reach the loop from the server's own threads, a turn or more apart: calls
    that arrive within the batch window go as one batch, each still answered as its own.
    (The window is widened here so that a loaded machine's slow loop turns still fit in it;
    what is tested is that the batch waits for it, not how long it is.)"""
    monkeypatch.setattr(batcher, "SQLITE_BATCH_WINDOW_SECONDS", 0.5)
    pricing.load_catalog()
    org_id, keys = funded_org()
    sizes: list[int] = []

    def record(batch: list[UsageCall]) -> list[Any]:
        sizes.append(len(batch))
        return metering.record_usages(batch)

    async def arriving(i: int) -> int:
        for _ in range(i):  # call i comes i loop turns after the first
            await asyncio.sleep(0)
        return (await run_batched(record, UsageCall(keys[0], f"w{i}", MODEL, 0, 1000))).cost_micros

    async def scenario() -> list[int]:
        return list(await asyncio.gather(*(arriving(i) for i in range(4))))

    costs = run_on_fresh_loop(scenario)
    assert sizes == [4]
    assert costs == [56_100] * 4  # 1,000 output tokens at ₹51.00 per million, +10 % (auto)
    assert ledger.get_balance(org_id=org_id) == START - sum(costs)
    assert ledger.audit() == []


def test_a_key_s_month_spend_follows_the_calls_across_a_month_boundary_and_back(any_db):
    """Usage stamped 00:01 IST on the 1st, then 23:59 IST on the 30th (clocks can step back):
    one by one, each change of month starts the key's month spend over, so a batch must too."""
    pricing.load_catalog()
    (_, one_by_one), (_, batched) = funded_org(), funded_org()

    def script(key: str) -> list[UsageCall]:
        return [UsageCall(key, f"m{i}", MODEL, 0, 1000, now=now) for i, now in enumerate([NOW, LATER, NOW])]

    for call in script(one_by_one[0]):
        metering.record_usage(**vars(call))
    metering.record_usages(script(batched[0]))
    with write_engine().connect() as conn:
        spends = conn.execute(
            sa.text("select month_spend_micros, spend_month from api_key where name = 'plain' order by id")
        ).all()
    assert spends[-1] == spends[-2] == (56_100, 202611)


def test_a_batch_of_several_orgs_answers_and_books_each_as_one_by_one(any_db):
    """Calls of three orgs interleaved in one batch: each org's debits, holds, rollups and
    answers are its own, as if its calls had been made one by one."""
    pricing.load_catalog()
    alone, together = [funded_org() for _ in range(3)], [funded_org() for _ in range(3)]

    def script(orgs: list[tuple[int, list[str]]]) -> list[list[Any]]:
        authorizes = [
            AuthorizeCall(keys[0], f"r{i}", MODEL, max_tokens=1000 * (1 + i), now=NOW)
            for i in range(4)
            for _, keys in orgs
        ]
        usages = [
            UsageCall(keys[0], f"r{i}", MODEL, 10 * i, 1000 * (1 + i), now=NOW) for i in range(4) for _, keys in orgs
        ]
        return [authorizes, usages, usages[:3]]  # the last: replays

    one_by_one = [outcome(answer) for batch in script(alone) for call in batch for answer in _many_for([call])([call])]
    batched = [outcome(answer) for batch in script(together) for answer in _many_for(batch)(batch)]
    assert batched == one_by_one
    assert [books(org_id) for org_id, _ in together] == [books(org_id) for org_id, _ in alone]
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []
    assert metering.hold_mismatches() == []
