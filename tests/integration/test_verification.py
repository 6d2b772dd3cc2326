"""Email verification and the signup credit: granted when the address is verified, once per
normalised address, however often or concurrently the links are opened."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import TokenInvalid
from billing_app.models import EmailKind, EmailToken, EntryKind, LedgerEntry, SignupCreditClaim
from billing_app.models.types import utcnow
from billing_app.services import accounts, ledger, verification
from billing_app.services.email_addresses import address_key
from tests.factories import PASSWORD, emailed_token, make_account

CREDIT = 100_000_000


def signup_credits(org_id: int) -> list[LedgerEntry]:
    with read_session() as session:
        return list(
            session.exec(
                select(LedgerEntry).where(
                    col(LedgerEntry.org_id) == org_id, col(LedgerEntry.kind) == EntryKind.SIGNUP_CREDIT
                )
            )
        )


def test_no_credit_at_signup_and_the_credit_once_the_link_is_opened(any_db):
    signed = make_account(email="asha@example.com", verified=False)
    org_id = signed.principal.org_id
    assert ledger.get_balance(org_id=org_id) == 0 and signup_credits(org_id) == []
    assert not signed.principal.email_verified

    done = verification.verify(token=emailed_token("asha@example.com"))
    assert done.credited_micros == CREDIT
    assert ledger.get_balance(org_id=org_id) == CREDIT
    [entry] = signup_credits(org_id)
    assert entry.description == "Signup credit (₹100)"
    assert accounts.authenticate(token=signed.token).email_verified


def test_a_link_works_once(any_db):
    make_account(email="asha@example.com", verified=False)
    token = emailed_token("asha@example.com")
    verification.verify(token=token)
    with pytest.raises(TokenInvalid):
        verification.verify(token=token)


def test_an_expired_or_unknown_link_is_refused_and_grants_nothing(any_db):
    signed = make_account(email="asha@example.com", verified=False)
    token = emailed_token("asha@example.com")
    with write_session() as session:
        for row in session.exec(select(EmailToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    for bad in (token, "not-a-token", ""):
        with pytest.raises(TokenInvalid):
            verification.verify(token=bad)
    assert ledger.get_balance(org_id=signed.principal.org_id) == 0


def test_twenty_concurrent_openings_of_one_link_credit_once(any_db):
    signed = make_account(email="asha@example.com", verified=False)
    token = emailed_token("asha@example.com")

    def open_link(_: int) -> str:
        try:
            return f"credited {verification.verify(token=token).credited_micros}"
        except TokenInvalid:
            return "refused"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(open_link, range(20)))
    assert outcomes.count(f"credited {CREDIT}") == 1
    assert outcomes.count("refused") == 19
    assert ledger.get_balance(org_id=signed.principal.org_id) == CREDIT
    assert len(signup_credits(signed.principal.org_id)) == 1


def test_two_links_for_one_address_opened_concurrently_credit_once(any_db):
    signed = make_account(email="asha@example.com", verified=False)
    first = emailed_token("asha@example.com")
    assert verification.resend(user_id=signed.principal.user_id, org_id=signed.principal.org_id)
    second = emailed_token("asha@example.com")
    assert first != second

    tokens = [first, second] * 10
    with ThreadPoolExecutor(20) as pool:
        credited = list(pool.map(lambda token: _verify_quietly(token), tokens))
    assert sorted(credited, reverse=True)[:2] == [CREDIT, 0]  # both links work; one credit
    assert credited.count(CREDIT) == 1
    assert ledger.get_balance(org_id=signed.principal.org_id) == CREDIT


def _verify_quietly(token: str) -> int:
    try:
        return verification.verify(token=token).credited_micros
    except TokenInvalid:
        return -1


@pytest.mark.parametrize(
    "first,second",
    [
        ("asha@example.com", "asha+free@example.com"),  # +tags reach one mailbox
        ("a.sha@gmail.com", "asha@googlemail.com"),  # Gmail ignores dots, and has two domains
    ],
)
def test_the_credit_is_once_per_normalised_address(db, first, second):
    one = make_account(email=first)
    assert ledger.get_balance(org_id=one.principal.org_id) == CREDIT
    two = make_account(email=second)  # a second account may exist, verified, but unfunded
    assert accounts.authenticate(token=two.token).email_verified
    assert ledger.get_balance(org_id=two.principal.org_id) == 0


def test_case_and_spaces_are_one_address(db):
    make_account(email="asha@example.com")
    with pytest.raises(accounts.EmailTaken):
        make_account(email="  ASHA@example.com")


def test_dots_count_outside_gmail():
    assert address_key("a.sha@example.com") != address_key("asha@example.com")
    assert address_key("A.Sha+x@Gmail.com ") == address_key("asha@gmail.com")


def test_resend_is_rate_limited_and_not_sent_once_verified(db):
    from billing_app.errors import RateLimited

    signed = make_account(email="asha@example.com", verified=False)
    assert verification.resend(user_id=signed.principal.user_id, org_id=signed.principal.org_id)
    with pytest.raises(RateLimited):
        verification.resend(user_id=signed.principal.user_id, org_id=signed.principal.org_id)
    verified = make_account(email="bo@example.com")
    assert not verification.resend(user_id=verified.principal.user_id, org_id=verified.principal.org_id)


def test_the_claim_table_holds_no_address(db):
    make_account(email="asha@example.com")
    with read_session() as session:
        [claim] = session.exec(select(SignupCreditClaim)).all()
    assert "asha" not in claim.address_key and len(claim.address_key) == 64


def test_the_verification_email_is_queued_with_the_signup(db):
    accounts.signup(email="asha@example.com", password=PASSWORD, name="Asha", org_name="Acme")
    assert emailed_token("asha@example.com", EmailKind.VERIFY_EMAIL)
