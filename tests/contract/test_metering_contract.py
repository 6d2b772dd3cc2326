"""The metering contract: random scripts of authorize, usage and hold-expiry calls — repeats,
replays, unknown and revoked keys, unknown models, budgets, IST midnight, low-balance alerts,
expired holds — made one by one and in random batches, on both databases (PostgreSQL when
TEST_POSTGRES_URL answers), against the reference model (reference.py): each answer and the
books afterwards must be the model's."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_app.config import get_settings
from billing_app.db import write_engine
from billing_app.services import ledger, metering, pricing, usage
from billing_app.services.metering import AuthorizeCall, UsageCall
from tests.contract.reference import Key, Org, Reference
from tests.integration.test_metering_batches import (
    BUDGET,
    LATER,
    MODEL,
    NOW,
    START,
    THRESHOLD,
    _many_for,
    books,
    funded_org,
    outcome,
)

SANDBOX_RATES = (12_750_000, 51_000_000)  # sandbox-echo: ₹12.75 / ₹51.00 per million tokens (models.json)


def reference_for(org_id: int, secrets: list[str]) -> Reference:
    """The model of an org `funded_org` made: START, the alert threshold, its three keys."""
    settings = get_settings()
    model = Reference(
        rates={MODEL: SANDBOX_RATES},
        markups={"auto": settings.markup_auto_percent, "tier": settings.markup_tier_percent},
        ttl=timedelta(seconds=settings.hold_ttl_seconds),
        default_max_tokens=settings.hold_default_max_tokens,
    )
    model.orgs[org_id] = Org(balance=START, threshold=THRESHOLD)
    with write_engine().connect() as conn:
        ids = dict(conn.execute(sa.text("select name, id from api_key where org_id = :o"), {"o": org_id}).all())
    plain, budget, revoked = secrets[:3]
    model.keys[plain] = Key(ids["plain"], org_id, None)
    model.keys[budget] = Key(ids["budget"], org_id, BUDGET)
    model.keys[revoked] = Key(ids["revoked"], org_id, None, active=False)
    return model


def ask(model: Reference, call: AuthorizeCall | UsageCall) -> Any:
    """The model's answer to a call (an `outcome`)."""
    assert call.now is not None
    if isinstance(call, AuthorizeCall):
        return model.authorize(call.api_key, call.request_id, call.model, call.max_tokens, call.prompt_tokens, call.now)
    return model.record(
        call.api_key,
        call.request_id,
        call.model,
        call.prompt_tokens,
        call.completion_tokens,
        call.routing_mode,
        call.now,
    )


def db_books(org_id: int) -> dict[str, Any]:
    """`books` in the model's terms."""
    found = books(org_id)
    return {
        "balance": found["balance"][0][0],
        "hold total": found["hold total"][0][0],
        "holds": tuple(found["holds"][0]),
        "events": tuple(found["events"][0]),
        "rollups": [(str(day), *sums) for day, *sums in found["rollups"]],
        "month spend": [tuple(row) for row in found["month spend"]],
        "alerts": len(found["alerts"]),
    }


KEY = st.integers(0, 3)  # which key: plain, budget, revoked, unknown
REQUEST_ID = st.sampled_from(["r1", "r2", "r3", "r4", "r5"])  # repeats and replays
MODEL_NAME = st.sampled_from([MODEL, MODEL, "no-such-model"])
TOKENS = st.integers(0, 3000)
ENDS_BATCH = st.booleans()  # the end of a batch
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def scripts(*step: st.SearchStrategy[Any]) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(st.tuples(*step), min_size=1, max_size=30)


calls = scripts(
    st.sampled_from(["authorize", "usage"]),
    KEY,
    REQUEST_ID,
    MODEL_NAME,
    TOKENS,
    st.booleans(),  # a minute later (past IST midnight)
    ENDS_BATCH,
)


@PROPERTY
@given(script=calls)
def test_a_batch_answers_and_books_as_the_calls_one_by_one(any_db, script):
    pricing.load_catalog()
    one_by_one, batched = funded_org(), funded_org()

    def call_for(keys: list[str], step: tuple[Any, ...]) -> AuthorizeCall | UsageCall:
        kind, key, request_id, model, tokens, later, _ = step
        now = LATER if later else NOW
        if kind == "authorize":
            return AuthorizeCall(keys[key], request_id, model, max_tokens=tokens, prompt_tokens=tokens // 3, now=now)
        return UsageCall(keys[key], request_id, model, tokens // 3, tokens, now=now)

    alone = []
    for step in script:
        call = call_for(one_by_one[1], step)
        many = metering.authorize_many if isinstance(call, AuthorizeCall) else metering.record_usages
        alone.extend(many([call]))

    together: list[Any] = []
    batch: list[Any] = []
    for step in script:
        call = call_for(batched[1], step)
        if batch and type(batch[0]) is not type(call):
            together.extend(_many_for(batch)(batch))
            batch = []
        batch.append(call)
        if step[-1]:
            together.extend(_many_for(batch)(batch))
            batch = []
    if batch:
        together.extend(_many_for(batch)(batch))

    assert [outcome(a) for a in together] == [outcome(a) for a in alone]
    assert books(batched[0]) == books(one_by_one[0])
    model = reference_for(*one_by_one)  # the oracle: the calls one by one, in memory
    assert [outcome(a) for a in alone] == [ask(model, call_for(one_by_one[1], step)) for step in script]
    assert db_books(one_by_one[0]) == model.books(one_by_one[0])
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []
    assert metering.hold_mismatches() == []


# The moments of the expiry script: a hold placed at NOW has expired by MUCH_LATER; by a day
# later, the next low-balance alert is due again.
MOMENTS = [NOW, LATER, NOW + timedelta(minutes=11), NOW + timedelta(hours=25)]

expiry_steps = scripts(
    st.sampled_from(["authorize", "usage", "usage", "expire"]),
    KEY,
    REQUEST_ID,
    MODEL_NAME,
    TOKENS,
    st.sampled_from(["auto", "tier", None]),  # usage's routing mode
    st.integers(0, len(MOMENTS) - 1),
    ENDS_BATCH,
)


@PROPERTY
@given(script=expiry_steps)
def test_batches_and_hold_expiry_answer_and_book_as_the_reference_model(any_db, script):
    """Calls in random batches, each batch at one moment (as the service stamps them), with
    expired holds swept by authorize and by `expire_holds`, across a day and back."""
    pricing.load_catalog()
    org_id, secrets = funded_org()
    model = reference_for(org_id, secrets)
    answers: list[Any] = []
    expected: list[Any] = []
    batch: list[AuthorizeCall | UsageCall] = []

    def flush() -> None:
        if batch:
            answers.extend(_many_for(batch)(batch))
            batch.clear()

    for kind, key, request_id, model_name, tokens, mode, moment, ends_batch in script:
        now = batch[0].now if batch else MOMENTS[moment]
        if kind == "expire":
            flush()
            metering.expire_holds(now=MOMENTS[moment])  # (its count includes other examples' orgs)
            model.expire(MOMENTS[moment])
            continue
        call: AuthorizeCall | UsageCall
        if kind == "authorize":
            call = AuthorizeCall(secrets[key], request_id, model_name, tokens or None, tokens // 3, now=now)
        else:
            call = UsageCall(secrets[key], request_id, model_name, tokens // 3, tokens, mode, now=now)
        if batch and type(batch[0]) is not type(call):
            flush()
            call = replace(call, now=MOMENTS[moment])
        batch.append(call)
        expected.append(ask(model, call))
        if ends_batch:
            flush()
    flush()

    assert [outcome(answer) for answer in answers] == expected
    assert db_books(org_id) == model.books(org_id)
    assert ledger.audit() == []
    assert usage.rollup_mismatches() == []
    assert metering.hold_mismatches() == []
