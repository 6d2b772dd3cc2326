"""The ledger on a real database: the balance moves only with an entry, never loses an
update under concurrency, and the audit notices tampering."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from billing_app.cli import main as cli_main
from billing_app.db import write_engine, write_session
from billing_app.errors import InvalidRequest
from billing_app.models import EntryKind
from billing_app.services import ledger
from tests.factories import make_account

SIGNUP = 100_000_000


def test_signup_credit_is_the_first_entry(any_db):
    org_id = make_account().principal.org_id
    page = ledger.list_entries(org_id=org_id)
    assert [(e.kind, e.amount_micros, e.balance_after_micros) for e in page.entries] == [
        ("signup_credit", SIGNUP, SIGNUP)
    ]
    assert ledger.get_balance(org_id=org_id) == SIGNUP


def test_manual_entries_record_balance_after(db):
    org_id = make_account().principal.org_id
    credit = ledger.add_manual_entry(org_id=org_id, amount_micros=5_000_000, reason="goodwill")
    debit = ledger.add_manual_entry(org_id=org_id, amount_micros=-2_500_000, reason="correction")
    assert credit.balance_after_micros == SIGNUP + 5_000_000
    assert debit.balance_after_micros == SIGNUP + 2_500_000
    assert ledger.audit() == []


@pytest.mark.parametrize("amount,reason", [(0, "zero"), (1, "  ")])
def test_manual_entry_needs_amount_and_reason(db, amount, reason):
    org_id = make_account().principal.org_id
    with pytest.raises(InvalidRequest):
        ledger.add_manual_entry(org_id=org_id, amount_micros=amount, reason=reason)
    assert ledger.get_balance(org_id=org_id) == SIGNUP


def test_duplicate_external_ref_rolls_back_the_balance_too(db):
    org_id = make_account().principal.org_id
    with pytest.raises(IntegrityError), write_session() as session:
        ledger.post_entry(
            session,
            org_id=org_id,
            kind=EntryKind.SIGNUP_CREDIT,
            amount_micros=SIGNUP,
            description="again",
            external_ref=f"org:{org_id}",
        )
    assert ledger.get_balance(org_id=org_id) == SIGNUP
    assert ledger.audit() == []


def test_concurrent_postings_never_lose_an_update(any_db):
    org_id = make_account().principal.org_id
    threads, per_thread = 8, 15
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(per_thread):
                ledger.add_manual_entry(org_id=org_id, amount_micros=1_000 * (i + 1), reason=f"thread {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    expected = SIGNUP + sum(1_000 * (i + 1) * per_thread for i in range(threads))
    assert ledger.get_balance(org_id=org_id) == expected
    entries = ledger.list_entries(org_id=org_id, limit=100).entries
    after = ledger.list_entries(org_id=org_id, limit=100, cursor=str(entries[-1].id)).entries
    balances_after = sorted(e.balance_after_micros for e in entries + after)
    assert len(set(balances_after)) == threads * per_thread + 1  # every entry saw a distinct balance
    assert max(balances_after) == expected
    assert ledger.audit() == []


def test_pagination_is_newest_first_without_gaps(db):
    org_id = make_account().principal.org_id
    for i in range(45):
        ledger.add_manual_entry(org_id=org_id, amount_micros=i + 1, reason=f"entry {i}")
    seen, cursor = [], None
    while True:
        page = ledger.list_entries(org_id=org_id, limit=20, cursor=cursor)
        seen.extend(e.id for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 46
    assert seen == sorted(seen, reverse=True)


def test_audit_cli_passes_then_fails_on_tampering(db, capsys):
    org_id = make_account().principal.org_id
    assert cli_main(["manual", "--org", str(org_id), "--amount", "12.5", "--reason", "support credit"]) == 0
    assert cli_main(["audit"]) == 0
    with write_engine().begin() as conn:
        conn.execute(sa.text("UPDATE org SET balance_micros = balance_micros + 1 WHERE id = :id"), {"id": org_id})
    assert cli_main(["audit"]) == 1
    assert f"org {org_id}" in capsys.readouterr().err


def test_cli_rejects_bad_amount(db, capsys):
    org_id = make_account().principal.org_id
    assert cli_main(["manual", "--org", str(org_id), "--amount", "ten", "--reason", "x"]) == 2
    assert ledger.get_balance(org_id=org_id) == SIGNUP
