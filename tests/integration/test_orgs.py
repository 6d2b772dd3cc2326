"""A person in several orgs: the list of their orgs, and moving a session between them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from billing_app.db import read_session
from billing_app.errors import NotFound
from billing_app.models import AuditEvent
from billing_app.services import accounts, actors, ledger, orgs
from tests.factories import RUPEE, join_org, make_account, set_balance


def two_orgs(role: str = "developer") -> tuple[accounts.SignedIn, int]:
    """Asha (signed in, acting for her own org "Acme Labs …") and the id of a second org
    ("Zen Studio …", Ravi's) she is a `role` in."""
    asha = make_account(org_name="Acme Labs")
    ravi = make_account(email=None, name="Ravi K", org_name="Zen Studio")
    join_org(asha, ravi.principal.org_id, role)
    return asha, ravi.principal.org_id


def act_as(signed: accounts.SignedIn) -> accounts.Principal:
    """The session's principal as a request would resolve it, acting as who the audit log names."""
    principal = accounts.authenticate(token=signed.token)
    actors.acting(principal.acting_from(ip="10.9.9.9", user_agent="pytest"))
    return principal


def switched_events(org_id: int) -> list[AuditEvent]:
    with read_session() as session:
        query = select(AuditEvent).where(AuditEvent.org_id == org_id, AuditEvent.action == "session.switched_org")
        return list(session.exec(query))


def test_list_names_every_org_of_the_person_by_name_with_role_and_current(any_db):
    asha, other = two_orgs("developer")
    principal = act_as(asha)
    rows = orgs.list_orgs(user_id=principal.user_id, current_org_id=principal.org_id)
    assert [(row.id, row.role, row.current) for row in rows] == [
        (principal.org_id, "owner", True),
        (other, "developer", False),
    ]
    assert rows[0].name.startswith("Acme Labs") and rows[1].name.startswith("Zen Studio")
    assert {row.currency for row in rows} == {"INR"}


def test_list_of_a_person_in_one_org_is_that_org(db):
    principal = act_as(make_account())
    [row] = orgs.list_orgs(user_id=principal.user_id, current_org_id=principal.org_id)
    assert (row.id, row.role, row.current, row.balance_micros) == (principal.org_id, "owner", True, 100 * RUPEE)


def test_switch_points_the_session_at_the_other_org_with_its_role_and_audits_it(any_db):
    asha, other = two_orgs("admin")
    before = act_as(asha)
    other_session = accounts.login(email=before.email, password="correct horse battery")

    now = orgs.switch(session_id=before.session_id, user_id=before.user_id, org_id=other)
    assert (now.id, now.role, now.current) == (other, "admin", True)
    after = accounts.authenticate(token=asha.token)
    assert (after.org_id, after.role, after.session_id) == (other, "admin", before.session_id)
    assert after.org_name == now.name
    # only this session moved: the person's other sign-in still acts for their first org
    assert accounts.authenticate(token=other_session.token).org_id == before.org_id

    [event] = switched_events(other)
    assert (event.actor_user_id, event.ip) == (before.user_id, "10.9.9.9")
    assert event.subject == f"session:{before.session_id}"
    assert (event.before, event.after) == (f'{{"org_id": {before.org_id}}}', f'{{"org_id": {other}}}')
    assert switched_events(before.org_id) == []

    orgs.switch(session_id=before.session_id, user_id=before.user_id, org_id=other)  # already current
    assert len(switched_events(other)) == 1
    back = orgs.switch(session_id=before.session_id, user_id=before.user_id, org_id=before.org_id)
    assert (back.role, accounts.authenticate(token=asha.token).org_id) == ("owner", before.org_id)


def test_the_balance_is_the_current_orgs(any_db):
    asha, other = two_orgs()
    set_balance(other, 7 * RUPEE)
    principal = act_as(asha)
    listed = {row.id: row.balance_micros for row in orgs.list_orgs(user_id=principal.user_id, current_org_id=0)}
    assert listed == {principal.org_id: 100 * RUPEE, other: 7 * RUPEE}

    orgs.switch(session_id=principal.session_id, user_id=principal.user_id, org_id=other)
    now = act_as(asha)  # her next request acts for the other org
    assert ledger.get_balance(org_id=now.org_id) == 7 * RUPEE


def test_switching_to_an_org_you_are_not_in_is_not_found_and_changes_nothing(any_db):
    asha, _ = two_orgs()
    stranger = make_account(org_name="Stranger Co")
    principal = act_as(asha)
    for org_id in (stranger.principal.org_id, 999_999):  # exists or not: the same answer
        with pytest.raises(NotFound) as raised:
            orgs.switch(session_id=principal.session_id, user_id=principal.user_id, org_id=org_id)
        assert raised.value.message == "No such organisation."
    # someone else's session is not moved, even to an org they both could reach
    with pytest.raises(NotFound):
        orgs.switch(session_id=stranger.principal.session_id, user_id=principal.user_id, org_id=principal.org_id)
    assert accounts.authenticate(token=asha.token).org_id == principal.org_id
    assert accounts.authenticate(token=stranger.token).org_id == stranger.principal.org_id
    assert switched_events(stranger.principal.org_id) == []


def test_a_signed_out_session_is_not_switched(db):
    asha, other = two_orgs()
    principal = act_as(asha)
    accounts.logout(token=asha.token)
    with pytest.raises(NotFound):
        orgs.switch(session_id=principal.session_id, user_id=principal.user_id, org_id=other)
