"""Manual credits and debits from the console: large ones wait for a second staff member, who
is never the requester, and post exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.errors import BillingAppError, Conflict, Forbidden, InvalidRequest, NegativeBalance, NotFound
from billing_app.models import EntryKind, LedgerEntry
from billing_app.services import audit, ledger, staff
from billing_app.services.actors import Actor, acting_as
from billing_app.services.console import manual
from tests.factories import RUPEE, make_account, org_with_balance

LIMIT = 10_000 * RUPEE  # MANUAL_APPROVAL_ABOVE's default, in micros


def staff_member(email: str) -> Actor:
    """A person granted staff from the CLI's service, acting as the admin API would set them."""
    signed = make_account(email=email)
    staff.set_staff(email=email, staff=True)
    return Actor(user_id=signed.principal.user_id, kind="staff", ip="10.9.0.1", user_agent="pytest")


@pytest.fixture
def two_staff(any_db) -> tuple[Actor, Actor]:
    return staff_member("ops1@example.com"), staff_member("ops2@example.com")


def manual_entries(org_id: int) -> list[LedgerEntry]:
    with read_session() as session:
        return list(
            session.exec(
                select(LedgerEntry).where(col(LedgerEntry.org_id) == org_id, col(LedgerEntry.kind) == EntryKind.MANUAL)
            )
        )


def actions(org_id: int) -> list[str]:
    with acting_as(Actor.system()):
        return [row.action for row in reversed(audit.list_events(org_id=org_id, limit=100).rows)]


def test_under_the_limit_posts_at_once_and_says_who_and_why(two_staff):
    ops1, _ = two_staff
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        view = manual.request_entry(org_id=org_id, amount_micros=LIMIT, reason="goodwill for the outage")
    assert view.status == "posted" and view.entry_id is not None and view.decided_by_user_id is None
    assert ledger.get_balance(org_id=org_id) == 100 * RUPEE + LIMIT
    [*_, entry] = manual_entries(org_id)
    assert entry.amount_micros == LIMIT and entry.description == "goodwill for the outage"
    assert entry.created_by_user_id == ops1.user_id
    assert actions(org_id)[-2:] == ["ledger.manual_requested", "ledger.manual_entry"]
    assert ledger.audit() == []


def test_over_the_limit_waits_and_another_staff_member_posts_it(two_staff):
    ops1, ops2 = two_staff
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        view = manual.request_entry(org_id=org_id, amount_micros=LIMIT + 1, reason="enterprise prepayment by wire")
        assert view.status == "pending" and view.entry_id is None
        assert [p.id for p in manual.list_pending()] == [view.id]
    assert ledger.get_balance(org_id=org_id) == 100 * RUPEE
    with acting_as(ops2):
        posted = manual.approve(request_id=view.id)
        assert manual.list_pending() == []
    assert posted.status == "posted" and posted.decided_by_email == "ops2@example.com" and posted.changed_now
    assert ledger.get_balance(org_id=org_id) == 100 * RUPEE + LIMIT + 1
    assert actions(org_id)[-3:] == ["ledger.manual_requested", "ledger.manual_approved", "ledger.manual_entry"]
    with acting_as(Actor.system()):  # the approval's row names the approver, with the reason
        rows = audit.list_events(org_id=org_id, limit=100).rows
    approved = next(row for row in rows if row.action == "ledger.manual_approved")
    assert approved.actor_user_id == ops2.user_id and approved.actor_kind == "staff"
    assert approved.after is not None and approved.after["reason"] == "enterprise prepayment by wire"


def test_the_requester_can_never_approve_their_own_request(two_staff):
    ops1, ops2 = two_staff
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        view = manual.request_entry(
            org_id=org_id, amount_micros=-(LIMIT + RUPEE), reason="chargeback", confirm_negative=True
        )
        with pytest.raises(Forbidden):
            manual.approve(request_id=view.id)
        with pytest.raises(Forbidden):
            manual.approve(request_id=view.id, confirm_negative=True, reason="it is fine")
    assert manual_entries(org_id) == [] and ledger.get_balance(org_id=org_id) == 100 * RUPEE  # nothing posted
    with acting_as(ops2):
        manual.approve(request_id=view.id)
    with acting_as(ops1), pytest.raises(Forbidden):  # still refused once posted: it was never theirs to approve
        manual.approve(request_id=view.id)


def test_ten_concurrent_approvals_post_once(two_staff):
    ops1, _ = two_staff
    approvers = [staff_member(f"approver{n}@example.com") for n in range(3)]
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        view = manual.request_entry(org_id=org_id, amount_micros=LIMIT * 3, reason="annual contract")

    def approve(n: int) -> manual.ManualEntryView | BillingAppError:
        def call() -> manual.ManualEntryView | BillingAppError:
            with acting_as(ops1 if n % 4 == 0 else approvers[n % 3]):  # the requester races too
                try:
                    return manual.approve(request_id=view.id)
                except BillingAppError as exc:
                    return exc

        return contextvars.copy_context().run(call)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(approve, range(10)))
    refused = [r for r in results if isinstance(r, BillingAppError)]
    assert refused and all(isinstance(r, Forbidden) for r in refused)  # only the requester's
    changed = [r for r in results if isinstance(r, manual.ManualEntryView) and r.changed_now]
    assert len(changed) == 1
    assert ledger.get_balance(org_id=org_id) == 100 * RUPEE + LIMIT * 3
    assert [e.amount_micros for e in manual_entries(org_id)].count(LIMIT * 3) == 1
    assert actions(org_id).count("ledger.manual_approved") == 1
    assert ledger.audit() == []


def test_a_rejected_request_never_posts(two_staff):
    ops1, ops2 = two_staff
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        view = manual.request_entry(org_id=org_id, amount_micros=LIMIT * 2, reason="typo in the amount?")
    with acting_as(ops2):
        with pytest.raises(InvalidRequest) as blank:
            manual.reject(request_id=view.id, reason="  ")
        assert blank.value.details["field"] == "reason"
        rejected = manual.reject(request_id=view.id, reason="the customer paid ₹20,000, not ₹2,00,000")
        assert rejected.status == "rejected" and rejected.changed_now
        assert not manual.reject(request_id=view.id, reason="again").changed_now
    with acting_as(staff_member("ops3@example.com")), pytest.raises(Conflict):
        manual.approve(request_id=view.id)
    assert ledger.get_balance(org_id=org_id) == 100 * RUPEE
    assert "ledger.manual_rejected" in actions(org_id) and "ledger.manual_approved" not in actions(org_id)


def test_a_debit_below_zero_needs_confirming(two_staff):
    ops1, ops2 = two_staff
    org_id, _ = org_with_balance(100)
    with acting_as(ops1):
        with pytest.raises(NegativeBalance) as refused:
            manual.request_entry(org_id=org_id, amount_micros=-150 * RUPEE, reason="reverse a duplicate credit")
        assert "-₹50.00" in refused.value.message and "confirm_negative" in refused.value.message
        assert ledger.get_balance(org_id=org_id) == 100 * RUPEE
        manual.request_entry(org_id=org_id, amount_micros=-150 * RUPEE, reason="reverse", confirm_negative=True)
        assert ledger.get_balance(org_id=org_id) == -50 * RUPEE
        big_credit = manual.request_entry(org_id=org_id, amount_micros=2 * LIMIT, reason="contract")
    with acting_as(ops2):
        manual.approve(request_id=big_credit.id)
    # A large debit that is fine when asked for, but the balance falls before it is approved.
    with acting_as(ops1):
        big_debit = manual.request_entry(org_id=org_id, amount_micros=-(LIMIT + RUPEE), reason="claw back")
    assert big_debit.status == "pending"
    with acting_as(ops2):
        assert manual.request_entry(org_id=org_id, amount_micros=-LIMIT, reason="correction").status == "posted"
        with pytest.raises(NegativeBalance):
            manual.approve(request_id=big_debit.id)
        assert manual.get_request(request_id=big_debit.id).status == "pending"  # rolled back whole
        assert manual.approve(request_id=big_debit.id, confirm_negative=True).status == "posted"
    assert ledger.get_balance(org_id=org_id) == -51 * RUPEE
    assert ledger.audit() == []


def test_only_staff_reach_it_and_reasons_are_required(two_staff):
    ops1, _ = two_staff
    owner = make_account()
    org_id = owner.principal.org_id
    member = Actor(user_id=owner.principal.user_id, org_id=org_id, role="owner")
    for actor in (member, Actor.system()):
        with acting_as(actor), pytest.raises(NotFound):
            manual.request_entry(org_id=org_id, amount_micros=RUPEE, reason="free money")
        with acting_as(actor), pytest.raises(NotFound):
            manual.list_pending()
    with acting_as(ops1):
        with pytest.raises(InvalidRequest) as blank:
            manual.request_entry(org_id=org_id, amount_micros=RUPEE, reason=" ")
        assert blank.value.details["field"] == "reason"
        with pytest.raises(InvalidRequest):
            manual.request_entry(org_id=org_id, amount_micros=0, reason="nothing")
        with pytest.raises(NotFound):
            manual.request_entry(org_id=org_id + 999, amount_micros=RUPEE, reason="no such org")
        with pytest.raises(NotFound):
            manual.approve(request_id=12345)


def test_the_limit_is_a_setting(two_staff, monkeypatch):
    from billing_app.context import reset_context

    ops1, _ = two_staff
    org_id, _ = org_with_balance(100)
    monkeypatch.setenv("MANUAL_APPROVAL_ABOVE", "50")
    reset_context()
    with acting_as(ops1):
        assert manual.request_entry(org_id=org_id, amount_micros=50 * RUPEE, reason="ok").status == "posted"
        assert manual.request_entry(org_id=org_id, amount_micros=51 * RUPEE, reason="big").status == "pending"
