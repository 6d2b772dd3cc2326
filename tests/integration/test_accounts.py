from __future__ import annotations

from dataclasses import replace

import pytest

from billing_app.errors import InvalidCredentials, InvalidRequest, RateLimited, Unauthenticated
from billing_app.services import accounts, ledger, verification
from billing_app.services.accounts import EmailTaken
from tests.factories import PASSWORD, emailed_token, make_account


def test_signup_creates_an_org_and_a_working_session_and_verifying_grants_the_credit(db):
    signed = make_account(email="Asha@Example.com", verified=False)
    assert signed.principal.email == "asha@example.com"
    assert accounts.authenticate(token=signed.token) == signed.principal
    assert ledger.get_balance(org_id=signed.principal.org_id) == 0  # not before the address is verified
    verification.verify(token=emailed_token("asha@example.com"))
    assert accounts.authenticate(token=signed.token) == replace(signed.principal, email_verified=True)
    assert ledger.get_balance(org_id=signed.principal.org_id) == 100_000_000


def test_duplicate_email_is_refused_whatever_the_case(db):
    make_account(email="dup@example.com")
    with pytest.raises(EmailTaken):
        make_account(email="DUP@example.com ")


@pytest.mark.parametrize(
    "field,value",
    [("email", "not-an-email"), ("password", "short"), ("name", "  "), ("org_name", "")],
)
def test_signup_validates_fields(db, field, value):
    data = {"email": "ok@example.com", "password": PASSWORD, "name": "N", "org_name": "O"} | {field: value}
    with pytest.raises(InvalidRequest) as info:
        accounts.signup(**data)
    assert info.value.details["field"] == field


def test_login_and_logout(db):
    make_account(email="a@example.com")
    signed = accounts.login(email=" A@example.com", password=PASSWORD)
    accounts.authenticate(token=signed.token)
    accounts.logout(token=signed.token)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=signed.token)
    accounts.logout(token=signed.token)  # idempotent


def test_wrong_password_and_unknown_email_look_the_same(db):
    make_account(email="a@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        accounts.login(email="a@example.com", password="nope-nope-nope")
    with pytest.raises(InvalidCredentials) as unknown:
        accounts.login(email="b@example.com", password="nope-nope-nope")
    assert wrong.value.message == unknown.value.message


def test_tokens_are_stored_hashed(db):
    from sqlmodel import select

    from billing_app.db import read_session
    from billing_app.models import AuthSession

    signed = make_account()
    with read_session() as session:
        hashes = list(session.exec(select(AuthSession.token_hash)))
    assert signed.token not in hashes
    assert accounts.hash_token(signed.token) in hashes


def test_login_is_rate_limited_per_email(db):
    make_account(email="a@example.com")
    for i in range(20):
        with pytest.raises(InvalidCredentials):
            accounts.login(email="a@example.com", password="wrong-password", client_ip=f"10.1.0.{i}")
    with pytest.raises(RateLimited):
        accounts.login(email="a@example.com", password=PASSWORD, client_ip="10.1.1.1")


def test_signup_limit_allows_an_office_behind_one_address(db):
    for i in range(20):
        accounts.signup(email=f"o{i}@example.com", password=PASSWORD, name="N", org_name="O", client_ip="1.2.3.4")
    with pytest.raises(RateLimited):
        accounts.signup(email="o21@example.com", password=PASSWORD, name="N", org_name="O", client_ip="1.2.3.4")
