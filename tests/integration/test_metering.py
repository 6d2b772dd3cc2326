"""The metering hot path on real databases: holds, debits, idempotency, budgets, keys,
routing markups and the ledger invariant balance == Σ ledger − Σ usage."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from billing_app.cli import main as cli_main
from billing_app.context import reset_context
from billing_app.db import connections, write_engine
from billing_app.errors import BudgetExceeded, InsufficientCredits, InvalidApiKey, InvalidRequest, NotFound
from billing_app.models.types import utcnow
from billing_app.services import api_keys, ledger, metering, pricing, usage
from billing_app.services.metering.postgres import LockHoldsArgs, PlaceHoldsArgs
from billing_app.services.metering.statements import postgres_statements
from tests.factories import make_account, make_org

SIGNUP = 100_000_000
MODEL = "sandbox-echo"  # ₹12.75 / ₹51.00 per million tokens in, out


@pytest.fixture
def org(any_db) -> int:
    return make_org(metered=True)


def new_key(org_id: int, budget: int | None = None) -> str:
    return api_keys.create_key(org_id=org_id, name="test", monthly_budget_micros=budget).secret


def open_holds(org_id: int) -> int:
    with write_engine().connect() as conn:
        return conn.execute(
            sa.text("select coalesce(sum(amount_micros), 0) from hold where org_id = :o"), {"o": org_id}
        ).scalar_one()


def test_usage_debits_the_marked_up_cost_and_rolls_it_up(org):
    key = new_key(org)
    debit = metering.record_usage(api_key=key, request_id="r1", model=MODEL, prompt_tokens=1000, completion_tokens=500)
    # (1000 × 12.75 + 500 × 51.00) micros × 1.10 = 42,075 micros
    assert debit.cost_micros == 42_075
    assert debit.balance_micros == SIGNUP - 42_075
    assert debit.currency == "INR" and debit.replayed is False
    assert ledger.get_balance(org_id=org) == SIGNUP - 42_075
    window = usage.window(org_id=org, start=usage.today(), end=usage.today())
    assert window.totals == usage.Totals(1, 1000, 500, 42_075)
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []


def test_usage_is_idempotent_on_key_and_request_id(org):
    key = new_key(org)
    first = metering.record_usage(api_key=key, request_id="same", model=MODEL, prompt_tokens=10, completion_tokens=10)
    again = metering.record_usage(
        api_key=key, request_id="same", model=MODEL, prompt_tokens=99_999, completion_tokens=99_999
    )
    assert again.replayed is True
    assert again.cost_micros == first.cost_micros
    assert again.balance_micros == first.balance_micros == ledger.get_balance(org_id=org)
    assert usage.window(org_id=org, start=usage.today(), end=usage.today()).totals.requests == 1
    # The same request_id under another key is another request.
    other = metering.record_usage(
        api_key=new_key(org), request_id="same", model=MODEL, prompt_tokens=10, completion_tokens=10
    )
    assert other.replayed is False
    assert ledger.audit() == []


def test_authorize_holds_the_estimate_and_usage_settles_it(org):
    key = new_key(org)
    held = metering.authorize(api_key=key, request_id="r1", model=MODEL, max_tokens=1000, prompt_tokens=200)
    # (200 × 12.75 + 1000 × 51.00) × 1.10 = 58,905 micros
    assert held.hold_micros == 58_905
    assert held.available_micros == SIGNUP - 58_905
    assert held.expires_at > utcnow()
    assert open_holds(org) == 58_905
    # A repeated authorize returns the same hold, not a second one.
    assert metering.authorize(api_key=key, request_id="r1", model=MODEL, max_tokens=1000).hold_id == held.hold_id
    assert open_holds(org) == 58_905
    metering.record_usage(api_key=key, request_id="r1", model=MODEL, prompt_tokens=200, completion_tokens=10)
    assert open_holds(org) == 0
    assert metering.hold_mismatches() == []


def test_authorize_without_max_tokens_assumes_the_configured_default(org, monkeypatch):
    monkeypatch.setenv("HOLD_DEFAULT_MAX_TOKENS", "100")
    from billing_app.context import reset_context

    reset_context()
    held = metering.authorize(api_key=new_key(org), request_id="r", model=MODEL)
    assert held.hold_micros == 5_610  # 100 × 51.00 × 1.10


def test_holds_count_against_the_balance_until_402(org):
    key = new_key(org)
    ledger.add_manual_entry(org_id=org, amount_micros=-(SIGNUP - 100_000), reason="leave ₹0.10")
    # Each hold: 1000 output tokens × 51 × 1.1 = 56,100 micros. ₹0.10 covers starting two.
    metering.authorize(api_key=key, request_id="a", model=MODEL, max_tokens=1000)
    second = metering.authorize(api_key=key, request_id="b", model=MODEL, max_tokens=1000)
    assert second.available_micros == 100_000 - 2 * 56_100 < 0
    with pytest.raises(InsufficientCredits) as refused:
        metering.authorize(api_key=key, request_id="c", model=MODEL, max_tokens=1000)
    assert refused.value.message == "Insufficient credits. Please top up your account."
    assert open_holds(org) == 2 * 56_100  # the refused request left no hold behind


def test_usage_is_never_refused_for_balance_but_the_next_authorize_is(org):
    key = new_key(org)
    ledger.add_manual_entry(org_id=org, amount_micros=-(SIGNUP - 1_000), reason="leave ₹0.001")
    debit = metering.record_usage(
        api_key=key, request_id="big", model=MODEL, prompt_tokens=10**9, completion_tokens=10**9
    )
    assert debit.balance_micros < 0
    with pytest.raises(InsufficientCredits):
        metering.authorize(api_key=key, request_id="next", model=MODEL, max_tokens=1)
    assert ledger.audit() == []


def test_expired_holds_stop_counting_and_are_swept(org):
    key = new_key(org)
    ledger.add_manual_entry(org_id=org, amount_micros=-(SIGNUP - 50_000), reason="leave ₹0.05")
    start = utcnow()
    metering.authorize(api_key=key, request_id="stale", model=MODEL, max_tokens=1000, now=start)
    with pytest.raises(InsufficientCredits):
        metering.authorize(api_key=key, request_id="blocked", model=MODEL, max_tokens=1, now=start)
    later = start + timedelta(seconds=601)  # HOLD_TTL_SECONDS defaults to 600
    # The org's next authorize drops its expired hold before it checks the balance.
    fresh = metering.authorize(api_key=key, request_id="fresh", model=MODEL, max_tokens=1, now=later)
    assert fresh.available_micros == 50_000 - fresh.hold_micros
    assert open_holds(org) == fresh.hold_micros
    # An org that went quiet is tidied by the sweeper.
    quiet = make_account().principal.org_id
    metering.authorize(api_key=new_key(quiet), request_id="q", model=MODEL, max_tokens=10, now=start)
    assert metering.expire_holds(now=later) == 1
    assert metering.expire_holds(now=later) == 0
    assert open_holds(quiet) == 0
    assert metering.hold_mismatches() == []


def test_budget_exceeded_once_the_month_spend_reaches_it(org):
    key = new_key(org, budget=50_000)
    metering.authorize(api_key=key, request_id="1", model=MODEL, max_tokens=10)
    metering.record_usage(api_key=key, request_id="1", model=MODEL, prompt_tokens=0, completion_tokens=1000)
    with pytest.raises(BudgetExceeded):  # spent 56,100 ≥ 50,000
        metering.authorize(api_key=key, request_id="2", model=MODEL, max_tokens=10)
    # Usage that already happened is still recorded (and counted).
    assert not metering.record_usage(
        api_key=key, request_id="late", model=MODEL, prompt_tokens=0, completion_tokens=1
    ).replayed
    [listed] = api_keys.list_keys(org_id=org)
    assert api_keys.month_spend(listed) == 56_100 + 57


def test_a_zero_budget_allows_nothing(org):
    with pytest.raises(BudgetExceeded):
        metering.authorize(api_key=new_key(org, budget=0), request_id="1", model=MODEL, max_tokens=1)


def test_unknown_and_revoked_keys_are_refused(org):
    with pytest.raises(InvalidApiKey):
        metering.authorize(api_key="sk-live-nope", request_id="1", model=MODEL)
    created = api_keys.create_key(org_id=org, name="old")
    api_keys.revoke_key(org_id=org, key_id=created.key.id or 0)
    api_keys.revoke_key(org_id=org, key_id=created.key.id or 0)  # idempotent
    with pytest.raises(InvalidApiKey):
        metering.authorize(api_key=created.secret, request_id="1", model=MODEL)
    with pytest.raises(InvalidApiKey):
        metering.record_usage(api_key=created.secret, request_id="1", model=MODEL, prompt_tokens=1, completion_tokens=1)


def test_another_orgs_key_cannot_be_revoked(org):
    created = api_keys.create_key(org_id=org, name="mine")
    stranger = make_account().principal.org_id
    with pytest.raises(NotFound):
        api_keys.revoke_key(org_id=stranger, key_id=created.key.id or 0)
    assert metering.authorize(api_key=created.secret, request_id="1", model=MODEL, max_tokens=1)


def test_unknown_model_and_bad_token_counts(org):
    key = new_key(org)
    with pytest.raises(NotFound):
        metering.record_usage(api_key=key, request_id="1", model="no/such-model", prompt_tokens=1, completion_tokens=1)
    for bad in (-1, 10**9 + 1, True):
        with pytest.raises(InvalidRequest):
            metering.record_usage(api_key=key, request_id="1", model=MODEL, prompt_tokens=bad, completion_tokens=1)
    with pytest.raises(InvalidRequest):
        metering.record_usage(api_key=key, request_id="", model=MODEL, prompt_tokens=1, completion_tokens=1)
    with pytest.raises(InvalidRequest):
        metering.record_usage(
            api_key=key, request_id="1", model=MODEL, prompt_tokens=1, completion_tokens=1, routing_mode="fast"
        )
    assert ledger.get_balance(org_id=org) == SIGNUP


def test_a_nul_character_in_a_request_id_or_model_is_refused_as_bad_input(org):
    """PostgreSQL text cannot hold NUL: such a call used to fail in the database (a 500 on
    PostgreSQL; SQLite stored it). It is refused like any other bad request_id, on both."""
    key = new_key(org)
    for request_id, model in (("a\x00b", MODEL), ("r", MODEL + "\x00")):
        with pytest.raises(InvalidRequest) as refused:
            metering.authorize(api_key=key, request_id=request_id, model=model, max_tokens=10)
        assert refused.value.details == {"field": "request_id" if "\x00" in request_id else "model"}
        with pytest.raises(InvalidRequest):
            metering.record_usage(api_key=key, request_id=request_id, model=model, prompt_tokens=1, completion_tokens=1)
    assert ledger.get_balance(org_id=org) == SIGNUP
    assert open_holds(org) == 0


def test_token_counts_at_the_limits(org):
    key = new_key(org)
    zero = metering.record_usage(api_key=key, request_id="0", model=MODEL, prompt_tokens=0, completion_tokens=0)
    assert zero.cost_micros == 0
    top = metering.record_usage(
        api_key=key, request_id="max", model=MODEL, prompt_tokens=10**9, completion_tokens=10**9
    )
    assert top.cost_micros == (10**9 * 12_750_000 + 10**9 * 51_000_000) * 110 // (100 * 10**6)
    assert ledger.audit() == []


def test_routing_mode_picks_the_markup(org):
    key = new_key(org)
    auto = metering.record_usage(api_key=key, request_id="a", model=MODEL, prompt_tokens=0, completion_tokens=1000)
    tier = metering.record_usage(
        api_key=key, request_id="t", model=MODEL, prompt_tokens=0, completion_tokens=1000, routing_mode="tier"
    )
    assert (auto.cost_micros, tier.cost_micros) == (56_100, 55_080)
    pricing.set_routing_mode(org_id=org, mode="tier")
    assert (
        metering.record_usage(
            api_key=key, request_id="d", model=MODEL, prompt_tokens=0, completion_tokens=1000
        ).cost_micros
        == 55_080
    )


def test_every_org_has_exactly_one_routing_profile(org):
    assert pricing.get_routing_profile(org_id=org).mode == "auto"
    with pytest.raises(pricing.RoutingProfileExists) as refused:
        pricing.create_routing_profile(org_id=org, mode="tier")
    assert refused.value.status == 409 and "already has a routing profile" in refused.value.message
    assert pricing.get_routing_profile(org_id=org).mode == "auto"


def test_price_changes_apply_to_the_next_request(org):
    key = new_key(org)
    pricing.set_price(model=MODEL, input_micros_per_million=0, output_micros_per_million=1_000_000)
    debit = metering.record_usage(api_key=key, request_id="1", model=MODEL, prompt_tokens=5, completion_tokens=1000)
    assert debit.cost_micros == 1_100
    pricing.set_price(model=MODEL, input_micros_per_million=0, output_micros_per_million=0, active=False)
    with pytest.raises(NotFound):
        metering.record_usage(api_key=key, request_id="2", model=MODEL, prompt_tokens=1, completion_tokens=1)


def test_the_audit_notices_a_usage_row_without_its_debit(org):
    key = new_key(org)
    metering.record_usage(api_key=key, request_id="1", model=MODEL, prompt_tokens=1, completion_tokens=1)
    with write_engine().begin() as conn:
        conn.execute(sa.text("update usage_event set cost_micros = cost_micros + 1"))
    [mismatch] = ledger.audit()
    assert mismatch.org_id == org
    assert mismatch.explained_micros == mismatch.balance_micros - 1


@pytest.fixture
def pg_one_connection(postgres_db, monkeypatch) -> tuple[int, api_keys.CreatedKey]:
    """PostgreSQL with the metering pool down to one connection (what a test inspects is
    what every call used); an org and a key with the catalog loaded."""
    monkeypatch.setenv("METERING_PG_CONNECTIONS", "1")
    reset_context()
    pricing.load_catalog()
    org_id = make_account().principal.org_id
    return org_id, api_keys.create_key(org_id=org_id, name="test")


def test_a_postgres_step_that_fails_half_way_leaves_nothing_behind(pg_one_connection):
    """PostgreSQL's authorize is two statements between BEGIN and COMMIT in one round trip
    (`Tx.atomically`): when the second fails (here: the hold total would overflow), the
    first's sweep and lock are undone too, and the pool's one connection is fit for the
    next call."""
    org_id, created = pg_one_connection
    live = metering.authorize(api_key=created.secret, request_id="r0", model=MODEL, max_tokens=100)
    # An expired hold, which the next authorize sweeps first.
    metering.authorize(
        api_key=created.secret, request_id="r1", model=MODEL, max_tokens=100, now=utcnow() - timedelta(hours=1)
    )
    held_before = open_holds(org_id)
    assert held_before > 0
    db = connections()
    now = utcnow()
    hold = PlaceHoldsArgs(n=[0], org_id=[org_id], key_id=[created.key.id or 0], request_id=["r2"], model=[MODEL],
                          amount=[2**63 - 1], created_at=[now], expires_at=[now + timedelta(minutes=10)])  # fmt: skip
    sql = postgres_statements()
    with pytest.raises(psycopg.errors.NumericValueOutOfRange), db.autocommit() as tx:
        tx.atomically((sql.lock_holds, LockHoldsArgs([org_id], [now])), (sql.place_holds, hold))
    assert open_holds(org_id) == held_before  # r1 not swept, no hold r2, nothing reserved
    assert metering.hold_mismatches() == []
    again = metering.authorize(api_key=created.secret, request_id="r3", model=MODEL, max_tokens=100)
    assert again.hold_micros > 0
    assert open_holds(org_id) == live.hold_micros + again.hold_micros  # now r1 is swept


def test_postgres_plans_each_hot_path_statement_once_whatever_the_sizes_of_the_values(pg_one_connection):
    """Costs and token counts of every size (smallint, integer, bigint by value, as psycopg
    would send them) still make one prepared statement per query on a metering connection,
    so no call pays for planning the statement afresh."""
    key = pg_one_connection[1].secret
    for i in range(12):
        tokens = 10 ** (i % 6)  # 1 … 100,000: costs from 1 micro to billions
        metering.authorize(api_key=key, request_id=f"r{i}", model=MODEL, max_tokens=tokens)
        metering.record_usage(
            api_key=key, request_id=f"r{i}", model=MODEL, prompt_tokens=tokens, completion_tokens=tokens
        )
    with connections().autocommit() as tx:
        prepared = tx.cursor.execute("select statement from pg_prepared_statements").fetchall()
    usage_batches = [text for (text,) in prepared if "INSERT INTO usage_event" in text]
    hold_batches = [text for (text,) in prepared if "INSERT INTO hold " in text]
    assert len(usage_batches) == 1
    assert len(hold_batches) == 1


def test_postgres_hot_path_reads_by_index_even_before_the_tables_have_statistics(pg_one_connection):
    """A fresh database (or a table that grew since autovacuum last analyzed it) has
    statistics that make a sequential scan look cheapest, and the generic plan made then is
    kept: measured, the usage batch scanned every usage event to find replays and the
    authorize batch every hold, so each call cost more the longer the app ran (backend CPU per
    usage call 0.30 → 0.50 ms over 10,000 calls). The plans the metering connection runs
    (auto_explain shows them) must read by index whatever the statistics say."""
    key = pg_one_connection[1].secret
    plans: list[str] = []
    with connections().autocommit() as tx:
        try:
            tx.cursor.execute("LOAD 'auto_explain'")
        except psycopg.Error as error:
            pytest.skip(f"auto_explain cannot be loaded here ({error})")
        for setting in ("log_min_duration = 0", "log_nested_statements = on"):
            tx.cursor.execute(f"SET auto_explain.{setting}")
        tx.cursor.execute("SET client_min_messages = log")
        tx.cursor.connection.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    try:
        for i in range(8):  # psycopg prepares a statement on its 5th run: from then on, the generic plan
            metering.authorize(api_key=key, request_id=f"r{i}", model=MODEL, max_tokens=10)
            metering.record_usage(api_key=key, request_id=f"r{i}", model=MODEL, prompt_tokens=1, completion_tokens=1)
    finally:
        reset_context()  # the next test gets a connection without auto_explain
    statements = ("INSERT INTO usage_event", "INSERT INTO hold ", "INSERT INTO hold_total", "key_hash")
    assert [any(statement in plan for plan in plans) for statement in statements] == [True] * 4
    scans = [plan for plan in plans if "Seq Scan" in plan]
    assert scans == [], scans[0]


def test_the_cli_audit_checks_hold_totals_and_rollups_too(org, capsys):
    """`python -m billing_app.cli audit` fails on a hold total that is not the sum of its
    holds, and on a daily rollup that is not the sum of its events, as on a balance."""
    key = new_key(org)
    metering.authorize(api_key=key, request_id="held", model=MODEL, max_tokens=100)
    metering.record_usage(api_key=key, request_id="used", model=MODEL, prompt_tokens=1, completion_tokens=1)
    assert cli_main(["audit"]) == 0
    with write_engine().begin() as conn:
        conn.execute(sa.text("update hold_total set held_micros = held_micros + 1 where org_id = :o"), {"o": org})
    assert cli_main(["audit"]) == 1
    assert f"org {org}: hold total" in capsys.readouterr().err
    with write_engine().begin() as conn:
        conn.execute(sa.text("update hold_total set held_micros = held_micros - 1 where org_id = :o"), {"o": org})
        conn.execute(sa.text("update usage_daily set cost_micros = cost_micros + 1 where org_id = :o"), {"o": org})
    assert cli_main(["audit"]) == 1
    assert f"org {org}: daily rollups" in capsys.readouterr().err
