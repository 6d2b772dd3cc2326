"""64 requests at once on a small balance, on SQLite and PostgreSQL: none is authorized
once balance − open holds ≤ 0, and afterwards balance == start − Σ recorded costs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from billing_app.errors import InsufficientCredits
from billing_app.services import api_keys, ledger, metering, pricing, usage
from tests.factories import make_account, make_funded_key

REQUESTS = 64
MODEL = "sandbox-echo"
MAX_TOKENS = 1000
HOLD = 56_100  # 1000 output tokens × ₹51/M × 1.10: the estimate, and the real cost below
START = 10 * HOLD - 1  # room for exactly 10 requests: the 10th starts with ₹0.000001 left


@pytest.fixture
def funded(any_db) -> tuple[int, str]:
    funded = make_funded_key(balance_micros=START, name="load")
    return funded.org_id, funded.secret


def run_all(work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(REQUESTS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_parallel_authorize_then_usage_pairs(funded):
    org_id, key = funded
    lock = threading.Lock()
    granted: list[metering.Authorization] = []
    refused: list[int] = []
    costs: list[int] = []

    def pair(i: int) -> None:
        try:
            held = metering.authorize(api_key=key, request_id=f"r{i}", model=MODEL, max_tokens=MAX_TOKENS)
        except InsufficientCredits:
            with lock:
                refused.append(i)
            return
        debit = metering.record_usage(
            api_key=key, request_id=f"r{i}", model=MODEL, prompt_tokens=0, completion_tokens=MAX_TOKENS
        )
        with lock:
            granted.append(held)
            costs.append(debit.cost_micros)

    assert run_all(pair) == []
    # Every grant saw balance − holds > 0 before its own hold…
    assert all(held.available_micros + held.hold_micros > 0 for held in granted)
    # …and since each request costs exactly its hold, exactly 10 fit, in any interleaving.
    assert (len(granted), len(refused)) == (10, REQUESTS - 10)
    assert ledger.get_balance(org_id=org_id) == START - sum(costs) == -1
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []
    assert metering.hold_mismatches() == []
    today = usage.window(org_id=org_id, start=usage.today(), end=usage.today()).totals
    assert (today.requests, today.cost_micros) == (10, sum(costs))


def test_parallel_authorizes_never_overcommit_the_balance(funded):
    org_id, key = funded
    lock = threading.Lock()
    granted: list[int] = []

    def authorize_only(i: int) -> None:
        try:
            metering.authorize(api_key=key, request_id=f"h{i}", model=MODEL, max_tokens=MAX_TOKENS)
        except InsufficientCredits:
            return
        with lock:
            granted.append(i)

    assert run_all(authorize_only) == []
    assert len(granted) == 10  # holds alone stop the 11th: balance − 10 holds = −1
    # The requests that ran report their usage (here: less than held), all at once too.
    assert (
        run_all(
            lambda i: (
                metering.record_usage(
                    api_key=key, request_id=f"h{i}", model=MODEL, prompt_tokens=0, completion_tokens=10
                )
                if i in granted
                else None
            )
        )
        == []
    )
    assert metering.expire_holds() == 0  # every hold was settled by its usage
    assert metering.hold_mismatches() == []
    assert ledger.get_balance(org_id=org_id) == START - 10 * 561
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []


def test_concurrent_batches_naming_the_same_orgs_in_any_order_neither_deadlock_nor_fall_back(any_db, caplog):
    """Several app workers' batches at once, each naming the same orgs in its own order: every
    batch goes through whole (no deadlock, which would send its calls one by one and log a
    warning), and each org's books add up."""
    pricing.load_catalog()
    orgs = []
    for _ in range(4):
        org_id = make_account().principal.org_id
        ledger.add_manual_entry(org_id=org_id, amount_micros=10**9, reason="set up")
        orgs.append((org_id, api_keys.create_key(org_id=org_id, name="load").secret))
    start = {org_id: ledger.get_balance(org_id=org_id) for org_id, _ in orgs}
    threads, rounds = 8, 10
    costs: dict[int, int] = {org_id: 0 for org_id, _ in orgs}
    lock = threading.Lock()

    def worker(t: int) -> None:
        order = orgs[t % 4 :] + orgs[: t % 4]
        if t % 2:
            order.reverse()
        for r in range(rounds):
            ids = [f"t{t}-r{r}-o{org_id}" for org_id, _ in order]
            holds = metering.authorize_many(
                [metering.AuthorizeCall(key, i, MODEL, max_tokens=100) for (_, key), i in zip(order, ids, strict=True)]
            )
            debits = metering.record_usages(
                [metering.UsageCall(key, i, MODEL, 10, 100) for (_, key), i in zip(order, ids, strict=True)]
            )
            assert all(isinstance(answer, metering.Authorization) for answer in holds), holds
            with lock:
                for (org_id, _), debit in zip(order, debits, strict=True):
                    assert isinstance(debit, metering.Debit), debit
                    costs[org_id] += debit.cost_micros

    runners = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    with caplog.at_level("WARNING", logger="billing_app.services.metering"):
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join()
    assert [record.getMessage() for record in caplog.records] == []
    for org_id, _ in orgs:
        assert ledger.get_balance(org_id=org_id) == start[org_id] - costs[org_id]
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []
    assert metering.hold_mismatches() == []


def test_budget_changes_beside_usage_debits_lose_no_spend(funded):
    """A user changing a key's budget while its requests are debited: every debit's spend is
    on the key afterwards, and the budget is one of those set."""
    org_id, key = funded
    [row] = api_keys.list_keys(org_id=org_id)
    assert row.id is not None
    costs: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        if i % 4 == 0:
            api_keys.set_budget(org_id=org_id, key_id=row.id, monthly_budget_micros=10**12 + i)
            return
        debit = metering.record_usage(
            api_key=key, request_id=f"b{i}", model=MODEL, prompt_tokens=0, completion_tokens=10
        )
        with lock:
            costs.append(debit.cost_micros)

    assert run_all(work) == []
    [after] = api_keys.list_keys(org_id=org_id)
    assert api_keys.month_spend(after) == sum(costs) > 0
    assert after.monthly_budget_micros is not None and after.monthly_budget_micros - 10**12 in range(0, REQUESTS, 4)
    assert ledger.get_balance(org_id=org_id) == START - sum(costs)
