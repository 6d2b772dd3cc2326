"""An org's members: who they are (with the invitations still pending), changing a member's
role, removing a member (or leaving).

An org always keeps at least one owner. Every change that could take its last owner away
first locks the org row (on PostgreSQL; SQLite runs one writer at a time already), so two
owners demoting or removing each other at the same moment leave one of them an owner: the
second waits for the first, then counts the owners again. Invitations are in
services/invitations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, LastOwner, NotFound
from billing_app.models import AuthSession, Invitation, Membership, Org, User
from billing_app.models.types import utcnow
from billing_app.services import audit, roles, sessions
from billing_app.services.actors import current_actor
from billing_app.services.roles import Permission, Role


@dataclass(frozen=True)
class Member:
    membership_id: int
    user_id: int
    name: str
    email: str
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    email: str
    role: str
    invited_by: str | None  # the inviter's name; None when the system invited
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Members:
    members: list[Member]
    invitations: list[PendingInvitation]


def parse_role(role: str) -> Role:
    """The role named, or InvalidRequest naming the field."""
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidRequest(f"role must be one of {names}.", field="role") from None


def lock_org(session: Session, org_id: int) -> None:
    """Serialise changes to the org's members: a row lock on the org until the transaction
    ends. FOR NO KEY UPDATE, not FOR UPDATE: it still excludes every other member change, but
    lets rows that merely reference the org (a ledger entry, a usage row) be written meanwhile.
    SQLite ignores it (its writers queue already)."""
    found = session.execute(select(col(Org.id)).where(col(Org.id) == org_id).with_for_update(key_share=True)).first()
    if found is None:
        raise NotFound("No such organisation.")


def list_members(*, org_id: int) -> Members:
    """The org's members (the earliest joined first) and its pending invitations (newest first)."""
    roles.check(org_id, Permission.MANAGE_MEMBERS)
    inviter = aliased(User)
    now = utcnow()
    with read_session() as session:
        members = session.execute(
            select(Membership, User)
            .join(User, col(User.id) == Membership.user_id)
            .where(col(Membership.org_id) == org_id)
            .order_by(col(Membership.id))
        ).all()
        pending = session.execute(
            select(Invitation, inviter.name)
            .join(inviter, col(inviter.id) == Invitation.invited_by_user_id, isouter=True)
            .where(
                col(Invitation.org_id) == org_id,
                col(Invitation.accepted_at).is_(None),
                col(Invitation.revoked_at).is_(None),
                col(Invitation.expires_at) > now,
            )
            .order_by(col(Invitation.id).desc())
        ).all()
    return Members(
        members=[Member(m.id or 0, u.id or 0, u.name, u.email, m.role, m.created_at) for m, u in members],
        invitations=[
            PendingInvitation(i.id or 0, i.email, i.role, name, i.created_at, i.expires_at) for i, name in pending
        ],
    )


def change_role(*, org_id: int, membership_id: int, role: str) -> Member:
    """Give a member another role. Making someone an owner, or changing an owner's role, is
    for owners (Forbidden for admins); the last owner stays one (LastOwner, 409). The same
    role again changes nothing and records nothing."""
    roles.check(org_id, Permission.MANAGE_MEMBERS)
    new_role = parse_role(role)
    with write_session() as session:
        lock_org(session, org_id)
        membership, user = _membership(session, org_id, membership_id)
        if Role.OWNER in (membership.role, new_role):
            roles.check(org_id, Permission.MANAGE_OWNERS)
        before = membership.role
        if before != new_role:
            if before == Role.OWNER:
                _keep_an_owner(session, org_id)
            membership.role = new_role.value
            audit.record(
                session,
                org_id=org_id,
                action="member.role_changed",
                subject=f"membership:{membership_id}",
                before={"email": user.email, "role": before},
                after={"email": user.email, "role": new_role.value},
            )
    return Member(membership_id, user.id or 0, user.name, user.email, membership.role, membership.created_at)


def remove(*, org_id: int, membership_id: int) -> None:
    """Take a member out of the org and end their sessions acting for it. Needs
    MANAGE_MEMBERS (an owner: MANAGE_OWNERS), except for leaving: anyone may remove their own
    membership. Either way the last owner stays (LastOwner, 409)."""
    roles.check(org_id, Permission.VIEW_BALANCE)  # a member acting for this org; who may do what below
    actor = current_actor()
    with write_session() as session:
        lock_org(session, org_id)
        found = _find(session, org_id, membership_id)
        leaving = found is not None and actor.kind == "user" and actor.user_id == found[0].user_id
        if not leaving:  # someone else's (or no such) membership: Forbidden before NotFound
            roles.check(org_id, Permission.MANAGE_MEMBERS)
        if found is None:
            raise NotFound("No such member.")
        membership, user = found
        if membership.role == Role.OWNER and not leaving:
            roles.check(org_id, Permission.MANAGE_OWNERS)
        if membership.role == Role.OWNER:
            _keep_an_owner(session, org_id)
        session.delete(membership)
        ended = sessions.revoke_where(
            session, col(AuthSession.user_id) == membership.user_id, col(AuthSession.org_id) == org_id
        )
        audit.record(
            session,
            org_id=org_id,
            action="member.removed",
            subject=f"membership:{membership_id}",
            before={"email": user.email, "role": membership.role, "user_id": membership.user_id},
            after={"left": leaving, "sessions_ended": ended},
        )


def leave(*, org_id: int, user_id: int) -> None:
    """The person acting leaves the org: their own membership removed by `remove`'s rules (anyone
    may leave; the last owner stays). For every role, including those that may not list the
    members. Raises NotFound when they are not a member, LastOwner."""
    roles.check(org_id, Permission.VIEW_BALANCE)
    with read_session() as session:
        own = session.exec(
            select(Membership.id).where(col(Membership.org_id) == org_id, col(Membership.user_id) == user_id)
        ).first()
    if own is None:
        raise NotFound("You are not a member of this organisation.")
    remove(org_id=org_id, membership_id=own)


def _membership(session: Session, org_id: int, membership_id: int) -> tuple[Membership, User]:
    """The membership in this org, or NotFound (another org's too: their ids are not ours to
    confirm)."""
    found = _find(session, org_id, membership_id)
    if found is None:
        raise NotFound("No such member.")
    return found


def _find(session: Session, org_id: int, membership_id: int) -> tuple[Membership, User] | None:
    found = session.execute(
        select(Membership, User)
        .join(User, col(User.id) == Membership.user_id)
        .where(col(Membership.id) == membership_id, col(Membership.org_id) == org_id)
    ).first()
    return None if found is None else (found[0], found[1])


def _keep_an_owner(session: Session, org_id: int) -> None:
    """LastOwner unless the org has another owner besides the one about to stop being one.
    Called with the org locked (lock_org), so the count cannot change underneath."""
    owners = session.execute(
        select(sa.func.count())
        .select_from(Membership)
        .where(col(Membership.org_id) == org_id, col(Membership.role) == Role.OWNER)
    ).scalar_one()
    if owners <= 1:
        raise LastOwner()
