"""Forgotten and changed passwords, and the list of sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidCredentials, InvalidRequest, NotFound, TokenInvalid, Unauthenticated
from billing_app.models import AuditEvent, EmailKind, EmailOutbox, EmailToken
from billing_app.models.types import utcnow
from billing_app.services import accounts, passwords, sessions
from billing_app.services.actors import Actor
from tests.factories import PASSWORD, emailed_token, make_account

NEW = "a brand new passphrase"


def reset_token(email: str) -> str:
    return emailed_token(email, EmailKind.PASSWORD_RESET)


def test_forgot_answers_the_same_for_unknown_addresses_and_sends_nothing(any_db):
    make_account(email="asha@example.com")
    assert passwords.forgot(email="nobody@example.com") is None
    with read_session() as session:
        kinds = [row.kind for row in session.exec(select(EmailOutbox))]
    assert EmailKind.PASSWORD_RESET not in kinds


def test_reset_sets_the_password_ends_every_session_and_works_once(any_db):
    first = make_account(email="asha@example.com")
    second = accounts.login(email="asha@example.com", password=PASSWORD)
    passwords.forgot(email=" ASHA@example.com")
    token = reset_token("asha@example.com")

    passwords.reset(token=token, password=NEW, actor=Actor(ip="10.1.1.1", user_agent="UA"))
    for signed in (first, second):
        with pytest.raises(Unauthenticated):
            accounts.authenticate(token=signed.token)
    with pytest.raises(InvalidCredentials):
        accounts.login(email="asha@example.com", password=PASSWORD)
    accounts.login(email="asha@example.com", password=NEW)
    with pytest.raises(TokenInvalid):
        passwords.reset(token=token, password="another passphrase")
    with read_session() as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "password.reset")).all()
    assert (event.actor_user_id, event.ip, event.user_agent) == (first.principal.user_id, "10.1.1.1", "UA")


def test_a_reset_link_expires_after_thirty_minutes(db):
    make_account(email="asha@example.com")
    passwords.forgot(email="asha@example.com")
    with write_session() as session:
        for row in session.exec(select(EmailToken).where(EmailToken.purpose == "reset")):
            assert row.expires_at - row.created_at == timedelta(minutes=30)
            row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(TokenInvalid):
        passwords.reset(token=reset_token("asha@example.com"), password=NEW)


def test_a_short_new_password_leaves_the_link_usable(db):
    make_account(email="asha@example.com")
    passwords.forgot(email="asha@example.com")
    token = reset_token("asha@example.com")
    with pytest.raises(InvalidRequest):
        passwords.reset(token=token, password="short")
    passwords.reset(token=token, password=NEW)


def test_a_verification_link_is_not_a_reset_link(db):
    make_account(email="asha@example.com", verified=False)
    with pytest.raises(TokenInvalid):
        passwords.reset(token=emailed_token("asha@example.com"), password=NEW)


def test_change_needs_the_current_password_and_ends_only_the_other_sessions(any_db):
    here = make_account(email="asha@example.com")
    elsewhere = accounts.login(email="asha@example.com", password=PASSWORD)
    me = here.principal
    with pytest.raises(InvalidRequest) as wrong:
        passwords.change(
            user_id=me.user_id, session_id=me.session_id, current_password="nope", new_password=NEW, actor=Actor()
        )
    assert wrong.value.details["field"] == "current_password"

    ended = passwords.change(
        user_id=me.user_id, session_id=me.session_id, current_password=PASSWORD, new_password=NEW, actor=Actor()
    )
    assert ended == 1
    accounts.authenticate(token=here.token)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=elsewhere.token)


def test_sessions_are_listed_and_ended_one_by_one_or_all_but_this_one(any_db):
    here = make_account(email="asha@example.com")
    other = accounts.login(email="asha@example.com", password=PASSWORD, user_agent="Firefox", client_ip="10.9.9.9")
    third = accounts.login(email="asha@example.com", password=PASSWORD)
    me = here.principal
    listed = sessions.list_sessions(user_id=me.user_id, current_session_id=me.session_id)
    assert [row.id for row in listed] == [third.principal.session_id, other.principal.session_id, me.session_id]
    assert [row.current for row in listed] == [False, False, True]
    assert (listed[1].user_agent, listed[1].ip) == ("Firefox", "10.9.9.9")

    sessions.end_session(user_id=me.user_id, org_id=me.org_id, session_id=other.principal.session_id, actor=Actor())
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=other.token)
    with pytest.raises(NotFound):  # already ended
        sessions.end_session(user_id=me.user_id, org_id=me.org_id, session_id=other.principal.session_id, actor=Actor())
    stranger = make_account(email="bo@example.com")
    with pytest.raises(NotFound):  # someone else's
        sessions.end_session(
            user_id=stranger.principal.user_id,
            org_id=stranger.principal.org_id,
            session_id=third.principal.session_id,
            actor=Actor(),
        )

    assert (
        sessions.end_other_sessions(user_id=me.user_id, org_id=me.org_id, keep_session_id=me.session_id, actor=Actor())
        == 1
    )
    accounts.authenticate(token=here.token)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=third.token)


def test_last_used_is_recorded_at_most_every_few_minutes(db):
    signed = make_account(email="asha@example.com")
    found = accounts.resolve(token=signed.token)
    assert not sessions.is_stale(found.last_used_at)  # set at sign-in
    assert sessions.is_stale(found.last_used_at, now=utcnow() + sessions.TOUCH_EVERY)
    later = utcnow() + timedelta(minutes=7)
    sessions.touch(session_id=signed.principal.session_id, now=later)
    assert accounts.resolve(token=signed.token).last_used_at == later
