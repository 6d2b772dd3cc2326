"""Members and invitations: inviting, accepting (signed in or at sign-up), changing roles,
removing and leaving; the org always keeps an owner, also under concurrency; who may do
what; the audit rows written with each change and never with a refused one."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import (
    AlreadyMember,
    EmailUnverified,
    Forbidden,
    InvalidCredentials,
    InvalidRequest,
    LastOwner,
    NotFound,
    RateLimited,
    TokenInvalid,
    Unauthenticated,
)
from billing_app.jobs.outbox import send_due
from billing_app.models import (
    AuditEvent,
    EmailKind,
    EmailOutbox,
    EntryKind,
    Invitation,
    LedgerEntry,
    Membership,
    Org,
    User,
)
from billing_app.models.types import utcnow
from billing_app.services import accounts, invitations, members, orgs
from billing_app.services.accounts import EmailTaken
from tests.factories import PASSWORD, call_as, emailed_token, make_account, make_member


def audit_rows(org_id: int, prefix: str = "member.") -> list[AuditEvent]:
    with read_session() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.org_id) == org_id, col(AuditEvent.action).startswith(prefix))
                .order_by(col(AuditEvent.id))
            )
        )


def memberships_of(user_id: int) -> list[Membership]:
    with read_session() as session:
        return list(session.exec(select(Membership).where(col(Membership.user_id) == user_id)))


def membership_id(org_id: int, user_id: int) -> int:
    with read_session() as session:
        found = session.exec(
            select(col(Membership.id)).where(col(Membership.org_id) == org_id, col(Membership.user_id) == user_id)
        ).one()
        return int(found)


def role_in(org_id: int, user_id: int) -> str | None:
    with read_session() as session:
        return session.exec(
            select(col(Membership.role)).where(col(Membership.org_id) == org_id, col(Membership.user_id) == user_id)
        ).first()


def invite(owner: accounts.SignedIn, email: str, role: str) -> members.PendingInvitation:
    return call_as(owner.principal, invitations.invite, org_id=owner.principal.org_id, email=email, role=role)


# --- inviting and joining ----------------------------------------------------------------


def test_a_signed_in_person_accepts_and_joins_with_the_role(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    guest = make_account(email="dev@example.com")
    pending = invite(owner, " Dev@Example.com ", "developer")
    assert (pending.email, pending.role, pending.invited_by) == ("dev@example.com", "developer", "Asha Rao")
    assert pending.expires_at - pending.created_at == timedelta(days=7)

    listed = call_as(owner.principal, members.list_members, org_id=org_id)
    assert [m.email for m in listed.members] == ["owner@example.com"]
    assert [i.email for i in listed.invitations] == ["dev@example.com"]

    joined = call_as(
        guest.principal,
        invitations.accept,
        token=emailed_token("dev@example.com", EmailKind.INVITATION),
        user_id=guest.principal.user_id,
    )
    assert (joined.org_id, joined.role, joined.joined) == (org_id, "developer", True)
    listed = call_as(owner.principal, members.list_members, org_id=org_id)
    assert [(m.email, m.role) for m in listed.members] == [
        ("owner@example.com", "owner"),
        ("dev@example.com", "developer"),
    ]
    assert listed.invitations == []
    assert len(memberships_of(guest.principal.user_id)) == 2  # their own org stays theirs

    invited, joined_row = audit_rows(org_id)
    assert (invited.action, invited.actor_user_id) == ("member.invited", owner.principal.user_id)
    assert json.loads(invited.after or "") == {"email": "dev@example.com", "role": "developer"}
    assert (joined_row.action, joined_row.actor_user_id) == ("member.joined", guest.principal.user_id)
    assert json.loads(joined_row.after or "")["role"] == "developer"


def test_sign_up_through_an_invitation_joins_with_no_org_of_its_own_and_no_credit(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    with read_session() as session:
        orgs_before = session.exec(select(sa.func.count()).select_from(Org)).one()
    invite(owner, "billing@example.com", "billing")
    signed = accounts.signup(
        email="billing@example.com",
        password=PASSWORD,
        name="Ravi",
        invitation_token=emailed_token("billing@example.com", EmailKind.INVITATION),
    )
    principal = signed.principal
    assert (principal.org_id, principal.role, principal.email_verified) == (org_id, "billing", True)
    assert accounts.authenticate(token=signed.token).org_id == org_id
    assert [m.org_id for m in memberships_of(principal.user_id)] == [org_id]
    with read_session() as session:
        assert session.exec(select(sa.func.count()).select_from(Org)).one() == orgs_before
        credits = session.exec(select(LedgerEntry).where(col(LedgerEntry.kind) == EntryKind.SIGNUP_CREDIT)).all()
        verify_emails = session.exec(
            select(EmailOutbox).where(
                col(EmailOutbox.kind) == EmailKind.VERIFY_EMAIL, col(EmailOutbox.payload).contains("billing@")
            )
        ).all()
    assert [c.org_id for c in credits] == [org_id]  # the owner's own, nothing for joining
    assert verify_emails == []
    assert [row.action for row in audit_rows(org_id, "")][-3:] == ["member.invited", "member.joined", "user.signed_up"]


def test_sign_up_with_another_addresss_invitation_is_refused_and_leaves_nothing(any_db):
    owner = make_account(email="owner@example.com")
    invite(owner, "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    with pytest.raises(EmailUnverified, match=r"dev@example\.com"):
        accounts.signup(email="other@example.com", password=PASSWORD, name="Other", invitation_token=token)
    with read_session() as session:
        assert session.exec(select(User).where(col(User.email) == "other@example.com")).first() is None
    signed = accounts.signup(email="dev@example.com", password=PASSWORD, name="Dev", invitation_token=token)
    assert signed.principal.org_id == owner.principal.org_id  # the link still worked for its address


def test_sign_up_with_a_bad_invitation_token_creates_nobody(db):
    with pytest.raises(TokenInvalid):
        accounts.signup(email="dev@example.com", password=PASSWORD, name="Dev", invitation_token="nope")
    with read_session() as session:
        assert session.exec(select(User)).all() == []


def test_an_address_with_an_account_signs_in_to_accept(db):
    owner = make_account(email="owner@example.com")
    make_account(email="dev@example.com")
    invite(owner, "dev@example.com", "developer")
    with pytest.raises(EmailTaken):
        accounts.signup(
            email="dev@example.com",
            password=PASSWORD,
            name="Dev",
            invitation_token=emailed_token("dev@example.com", EmailKind.INVITATION),
        )


def test_accepting_anothers_invitation_is_refused_and_consumes_nothing(any_db):
    owner = make_account(email="owner@example.com")
    stranger = make_account(email="stranger@example.com")
    invite(owner, "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    with pytest.raises(EmailUnverified, match=r"dev@example\.com"):
        call_as(stranger.principal, invitations.accept, token=token, user_id=stranger.principal.user_id)
    assert role_in(owner.principal.org_id, stranger.principal.user_id) is None
    assert [row.action for row in audit_rows(owner.principal.org_id)] == ["member.invited"]
    dev = make_account(email="dev@example.com")
    assert call_as(dev.principal, invitations.accept, token=token, user_id=dev.principal.user_id).joined


def test_accepting_marks_an_unverified_address_verified_without_a_credit(db):
    owner = make_account(email="owner@example.com")
    guest = make_account(email="dev@example.com", verified=False)
    invite(owner, "dev@example.com", "admin")
    call_as(
        guest.principal,
        invitations.accept,
        token=emailed_token("dev@example.com", EmailKind.INVITATION),
        user_id=guest.principal.user_id,
    )
    assert accounts.authenticate(token=guest.token).email_verified
    with read_session() as session:
        credits = session.exec(select(LedgerEntry).where(col(LedgerEntry.kind) == EntryKind.SIGNUP_CREDIT)).all()
    assert [c.org_id for c in credits] == [owner.principal.org_id]


def test_expired_used_revoked_and_replaced_links_are_refused(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    guest = make_account(email="dev@example.com")

    def accept(token: str) -> invitations.Accepted:
        return call_as(guest.principal, invitations.accept, token=token, user_id=guest.principal.user_id)

    expired = invite(owner, "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    with write_session() as session:
        session.execute(
            sa.update(Invitation).where(col(Invitation.id) == expired.id).values(expires_at=utcnow() - timedelta(1))
        )
    with pytest.raises(TokenInvalid):
        accept(token)

    invite(owner, "dev@example.com", "developer")
    replaced = emailed_token("dev@example.com", EmailKind.INVITATION)
    revoked = invite(owner, "dev@example.com", "developer")  # replaces the one before
    with pytest.raises(TokenInvalid):
        accept(replaced)
    latest = emailed_token("dev@example.com", EmailKind.INVITATION)
    call_as(owner.principal, invitations.revoke_invitation, org_id=org_id, invitation_id=revoked.id)
    with pytest.raises(TokenInvalid):
        accept(latest)
    with pytest.raises(NotFound):  # revoked already: nothing left to revoke
        call_as(owner.principal, invitations.revoke_invitation, org_id=org_id, invitation_id=revoked.id)
    for bad in ("not-a-token", ""):
        with pytest.raises(TokenInvalid):
            accept(bad)
    assert role_in(org_id, guest.principal.user_id) is None
    [row] = audit_rows(org_id, "member.invitation_revoked")
    assert json.loads(row.before or "") == {"email": "dev@example.com", "role": "developer"}


def test_a_used_link_works_once_but_tells_its_acceptor_again(any_db):
    owner = make_account(email="owner@example.com")
    invite(owner, "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    dev = make_member(owner.principal.org_id, "billing", email="dev2@example.com")  # someone else in the org
    guest = make_account(email="dev@example.com")
    first = call_as(guest.principal, invitations.accept, token=token, user_id=guest.principal.user_id)
    again = call_as(guest.principal, invitations.accept, token=token, user_id=guest.principal.user_id)
    assert (first.joined, again.joined, again.org_id, again.role) == (True, False, owner.principal.org_id, "developer")
    with pytest.raises(TokenInvalid):  # anyone else with the used link
        call_as(dev.principal, invitations.accept, token=token, user_id=dev.principal.user_id)
    assert len(audit_rows(owner.principal.org_id, "member.joined")) == 2  # dev2's sign-up and this one


def test_inviting_a_member_is_409_already_member_and_bad_input_is_refused(db):
    owner = make_account(email="owner@example.com")
    make_member(owner.principal.org_id, "developer", email="dev@example.com")
    with pytest.raises(AlreadyMember) as refused:
        invite(owner, "DEV@example.com", "admin")
    assert (refused.value.status, refused.value.code) == (409, "already_member")
    with pytest.raises(InvalidRequest) as bad_role:
        invite(owner, "new@example.com", "superuser")
    assert bad_role.value.details == {"field": "role"}
    with pytest.raises(InvalidRequest) as bad_email:
        invite(owner, "not an address", "developer")
    assert bad_email.value.details == {"field": "email"}
    assert [row.action for row in audit_rows(owner.principal.org_id, "member.invited")] == ["member.invited"]


def test_invitations_are_rate_limited_per_org(db):
    owner = make_account(email="owner@example.com")
    for n in range(invitations.INVITES_PER_MINUTE):
        invite(owner, f"p{n}@example.com", "developer")
    with pytest.raises(RateLimited):
        invite(owner, "one-more@example.com", "developer")
    other = make_account(email="other@example.com")
    invite(other, "p0@example.com", "developer")  # another org counts on its own


# --- roles ---------------------------------------------------------------------------------


def test_admins_manage_members_but_not_owners(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    admin = make_member(org_id, "admin")
    dev = make_member(org_id, "developer")
    owner_membership = membership_id(org_id, owner.principal.user_id)
    dev_membership = membership_id(org_id, dev.principal.user_id)
    as_admin = admin.principal
    before = len(audit_rows(org_id))

    with pytest.raises(Forbidden):
        call_as(as_admin, invitations.invite, org_id=org_id, email="boss@example.com", role="owner")
    with pytest.raises(Forbidden):
        call_as(as_admin, members.change_role, org_id=org_id, membership_id=owner_membership, role="admin")
    with pytest.raises(Forbidden):
        call_as(as_admin, members.change_role, org_id=org_id, membership_id=dev_membership, role="owner")
    with pytest.raises(Forbidden):
        call_as(as_admin, members.remove, org_id=org_id, membership_id=owner_membership)
    assert len(audit_rows(org_id)) == before  # a refused change records nothing

    call_as(as_admin, invitations.invite, org_id=org_id, email="new@example.com", role="admin")
    changed = call_as(as_admin, members.change_role, org_id=org_id, membership_id=dev_membership, role="billing")
    assert changed.role == "billing" and role_in(org_id, dev.principal.user_id) == "billing"


@pytest.mark.parametrize("role", ["developer", "billing"])
def test_developers_and_billing_cannot_manage_members(db, role):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    member = make_member(org_id, role)
    owner_membership = membership_id(org_id, owner.principal.user_id)
    for service, kwargs in [
        (members.list_members, {}),
        (invitations.invite, {"email": "x@example.com", "role": "developer"}),
        (members.change_role, {"membership_id": owner_membership, "role": "developer"}),
        (members.remove, {"membership_id": owner_membership}),
        (invitations.revoke_invitation, {"invitation_id": 1}),
        (members.remove, {"membership_id": 10**9}),  # no such member: still Forbidden, not NotFound
    ]:
        with pytest.raises(Forbidden):
            call_as(member.principal, service, org_id=org_id, **kwargs)


def test_another_orgs_member_is_not_found_and_acting_for_another_org_is_forbidden(db):
    owner = make_account(email="owner@example.com")
    other = make_account(email="other@example.com")
    theirs = membership_id(other.principal.org_id, other.principal.user_id)
    with pytest.raises(NotFound):
        call_as(owner.principal, members.remove, org_id=owner.principal.org_id, membership_id=theirs)
    with pytest.raises(NotFound):
        call_as(owner.principal, members.change_role, org_id=owner.principal.org_id, membership_id=theirs, role="admin")
    with pytest.raises(Forbidden):
        call_as(owner.principal, members.list_members, org_id=other.principal.org_id)


# --- role changes, removal, the last owner --------------------------------------------------


def test_role_change_is_audited_with_before_and_after_and_the_new_role_applies(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    dev = make_member(org_id, "developer", email="dev@example.com")
    dev_membership = membership_id(org_id, dev.principal.user_id)
    call_as(owner.principal, members.change_role, org_id=org_id, membership_id=dev_membership, role="admin")
    assert accounts.authenticate(token=dev.token).role == "admin"  # their next request
    [row] = audit_rows(org_id, "member.role_changed")
    assert row.actor_user_id == owner.principal.user_id and row.subject == f"membership:{dev_membership}"
    assert json.loads(row.before or "") == {"email": "dev@example.com", "role": "developer"}
    assert json.loads(row.after or "") == {"email": "dev@example.com", "role": "admin"}
    call_as(owner.principal, members.change_role, org_id=org_id, membership_id=dev_membership, role="admin")
    assert len(audit_rows(org_id, "member.role_changed")) == 1  # no change, no row


def test_the_last_owner_stays_an_owner(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    mine = membership_id(org_id, owner.principal.user_id)
    with pytest.raises(LastOwner) as refused:
        call_as(owner.principal, members.change_role, org_id=org_id, membership_id=mine, role="admin")
    assert (refused.value.status, refused.value.code) == (409, "last_owner")
    with pytest.raises(LastOwner):
        call_as(owner.principal, members.remove, org_id=org_id, membership_id=mine)
    assert audit_rows(org_id, "member.r") == []

    second = make_member(org_id, "owner")
    call_as(owner.principal, members.change_role, org_id=org_id, membership_id=mine, role="admin")
    theirs = membership_id(org_id, second.principal.user_id)
    with pytest.raises(LastOwner):
        call_as(second.principal, members.remove, org_id=org_id, membership_id=theirs)
    assert role_in(org_id, second.principal.user_id) == "owner"


def test_removing_a_member_ends_their_sessions_in_the_org(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    guest = make_account(email="dev@example.com")
    invite(owner, "dev@example.com", "developer")
    call_as(
        guest.principal,
        invitations.accept,
        token=emailed_token("dev@example.com", EmailKind.INVITATION),
        user_id=guest.principal.user_id,
    )
    there = accounts.login(email="dev@example.com", password=PASSWORD)  # a session in their own org
    orgs.switch(session_id=there.principal.session_id, user_id=guest.principal.user_id, org_id=org_id)
    assert accounts.authenticate(token=there.token).org_id == org_id

    removed = membership_id(org_id, guest.principal.user_id)
    call_as(owner.principal, members.remove, org_id=org_id, membership_id=removed)
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=there.token)
    assert accounts.authenticate(token=guest.token).org_id == guest.principal.org_id  # their own org's session
    assert role_in(org_id, guest.principal.user_id) is None
    [row] = audit_rows(org_id, "member.removed")
    assert row.actor_user_id == owner.principal.user_id
    assert json.loads(row.before or "")["email"] == "dev@example.com"
    assert json.loads(row.after or "") == {"left": False, "sessions_ended": 1}


def test_a_member_may_leave_and_an_owner_too_when_another_stays(db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    dev = make_member(org_id, "developer")
    call_as(dev.principal, members.remove, org_id=org_id, membership_id=membership_id(org_id, dev.principal.user_id))
    assert role_in(org_id, dev.principal.user_id) is None
    with pytest.raises(Unauthenticated):
        accounts.authenticate(token=dev.token)
    assert json.loads(audit_rows(org_id, "member.removed")[0].after or "")["left"] is True

    make_member(org_id, "owner")
    mine = membership_id(org_id, owner.principal.user_id)
    call_as(owner.principal, members.remove, org_id=org_id, membership_id=mine)
    assert role_in(org_id, owner.principal.user_id) is None


def test_leave_is_for_every_role_but_the_last_owner(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    for role in ("developer", "billing"):  # roles that may not list the members
        member = make_member(org_id, role)
        call_as(member.principal, members.leave, org_id=org_id, user_id=member.principal.user_id)
        assert role_in(org_id, member.principal.user_id) is None
        with pytest.raises(Unauthenticated):
            accounts.authenticate(token=member.token)  # their session for the org has ended
    assert [json.loads(row.after or "")["left"] for row in audit_rows(org_id, "member.removed")] == [True, True]

    with pytest.raises(LastOwner):
        call_as(owner.principal, members.leave, org_id=org_id, user_id=owner.principal.user_id)
    assert role_in(org_id, owner.principal.user_id) == "owner"
    stranger = make_account(email="stranger@example.com")
    with pytest.raises(Forbidden):  # acting for another org: refused before anything is read
        call_as(stranger.principal, members.leave, org_id=org_id, user_id=stranger.principal.user_id)


# --- concurrency ----------------------------------------------------------------------------


def test_twenty_concurrent_accepts_of_one_link_make_one_membership(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    guest = make_account(email="dev@example.com")
    invite(owner, "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    start = threading.Barrier(20)

    def accept(_: int) -> str:
        start.wait()
        try:
            done = call_as(guest.principal, invitations.accept, token=token, user_id=guest.principal.user_id)
        except TokenInvalid:
            return "refused"
        return f"{done.org_id} joined={done.joined}"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(accept, range(20)))
    assert outcomes.count(f"{org_id} joined=True") == 1
    assert outcomes.count(f"{org_id} joined=False") == 19
    assert role_in(org_id, guest.principal.user_id) == "developer"
    assert len([m for m in memberships_of(guest.principal.user_id) if m.org_id == org_id]) == 1
    assert len(audit_rows(org_id, "member.joined")) == 1


def test_two_owners_demoting_each_other_at_once_leave_one_owner(postgres_db):
    for _ in range(5):
        first = make_account()
        org_id = first.principal.org_id
        second = make_member(org_id, "owner")
        pairs = [
            (first.principal, membership_id(org_id, second.principal.user_id)),
            (second.principal, membership_id(org_id, first.principal.user_id)),
        ]
        start = threading.Barrier(2)

        def demote(pair: tuple[accounts.Principal, int], org_id: int = org_id, start: threading.Barrier = start) -> str:
            principal, other = pair
            start.wait()
            try:
                call_as(principal, members.change_role, org_id=org_id, membership_id=other, role="developer")
            except LastOwner:
                return "last_owner"
            return "demoted"

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(demote, pairs))
        assert outcomes == ["demoted", "last_owner"]
        owners = [role_in(org_id, p.user_id) for p, _ in pairs].count("owner")
        assert owners == 1


def test_two_owners_removing_each_other_at_once_leave_one_owner(postgres_db):
    first = make_account()
    org_id = first.principal.org_id
    second = make_member(org_id, "owner")
    pairs = [
        (first.principal, membership_id(org_id, second.principal.user_id)),
        (second.principal, membership_id(org_id, first.principal.user_id)),
    ]
    start = threading.Barrier(2)

    def remove(pair: tuple[accounts.Principal, int]) -> str:
        principal, other = pair
        start.wait()
        try:
            call_as(principal, members.remove, org_id=org_id, membership_id=other)
        except LastOwner:
            return "last_owner"
        return "removed"

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(remove, pairs)) == ["last_owner", "removed"]
    with read_session() as session:
        left = session.exec(select(Membership).where(col(Membership.org_id) == org_id)).all()
    assert [m.role for m in left] == ["owner"]


# --- the email -------------------------------------------------------------------------------


def test_the_invitation_email_carries_the_link_and_the_secret_is_dropped_once_sent(db, mailbox):
    owner = make_account(email="owner@example.com")
    invite(owner, "dev@example.com", "admin")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    assert send_due().sent == 1
    link = mailbox.link_in_email("dev@example.com", "Join Acme Labs")
    assert "/invitations/accept?token=" in link and link.endswith(token)
    [message] = [m for m in mailbox.messages if str(m["Subject"]).startswith("Join")]
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "Asha Rao invited you" in text.get_content() and "as an admin" in text.get_content()
    with read_session() as session:
        [payload] = session.exec(
            select(col(EmailOutbox.payload)).where(col(EmailOutbox.kind) == EmailKind.INVITATION)
        ).all()
    assert "link_token" not in json.loads(payload)
    with read_session() as session:  # the token is stored only as its hash
        assert token not in str(session.exec(select(Invitation)).one())


def test_someone_removed_from_their_only_org_is_told_why_they_cannot_sign_in(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    dev = make_member(org_id, "developer", email="dev@example.com")  # joined by invitation: no org of their own
    call_as(owner.principal, members.remove, org_id=org_id, membership_id=membership_id(org_id, dev.principal.user_id))
    with pytest.raises(Forbidden, match="not a member of any organisation"):
        accounts.login(email="dev@example.com", password=PASSWORD)
    with pytest.raises(InvalidCredentials):  # a wrong password still says only that
        accounts.login(email="dev@example.com", password="not the password")
