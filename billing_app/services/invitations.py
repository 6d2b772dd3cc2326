"""Invitations: an owner or admin invites an address with a role; the emailed link lets the
person join, signed in (`accept`) or while signing up (`join_at_signup`, from accounts.signup).

A link is consumed by one conditional UPDATE, so however often (or concurrently) it is
opened it makes one membership; the same person opening it again is told they joined, as
they did. It works for LIFETIME and only for the address it was sent to: the person proves that
mailbox by opening it, so their address counts as verified, but no signup credit comes with
joining someone else's org (services/verification.py grants that to an org a person creates).
Inviting an address again replaces its pending invitation.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import (
    AlreadyMember,
    EmailUnverified,
    InvalidRequest,
    NotFound,
    TokenInvalid,
    Unauthenticated,
)
from billing_app.models import EmailKind, EmailOutbox, Invitation, Membership, Org, User
from billing_app.models.types import utcnow
from billing_app.services import audit, roles
from billing_app.services.actors import Actor, current_actor
from billing_app.services.email_addresses import is_valid, normalise
from billing_app.services.members import PendingInvitation, lock_org, parse_role
from billing_app.services.rate_limit import check_rate
from billing_app.services.roles import Permission, Role
from billing_app.services.tokens import hash_token

LIFETIME = timedelta(days=7)
# Per org: enough to bring a whole team in at once, too few to make the app a spam relay.
INVITES_PER_MINUTE = 20


def invite(*, org_id: int, email: str, role: str) -> PendingInvitation:
    """Invite `email` to the org with `role` and queue the email with the link. Inviting an
    owner needs MANAGE_OWNERS (admins can't). AlreadyMember (409) when the address is a
    member already; RateLimited past INVITES_PER_MINUTE for the org."""
    roles.check(org_id, Permission.MANAGE_MEMBERS)
    wanted = parse_role(role)
    if wanted == Role.OWNER:
        roles.check(org_id, Permission.MANAGE_OWNERS)
    email = normalise(email)
    if len(email) > 254 or not is_valid(email):
        raise InvalidRequest("Enter a valid email address.", field="email")
    check_rate(action="invite", key=str(org_id), per_minute=INVITES_PER_MINUTE)
    actor = current_actor()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_session() as session:
        lock_org(session, org_id)  # two invitations to one address at once: the second replaces the first
        if _member_id(session, org_id=org_id, email=email) is not None:
            raise AlreadyMember(f"{email} is already a member of this organisation.")
        session.execute(
            sa.update(Invitation)
            .where(*_pending(now), col(Invitation.org_id) == org_id, col(Invitation.email) == email)
            .values(revoked_at=now)
        )
        invitation = Invitation(
            org_id=org_id,
            email=email,
            role=wanted.value,
            token_hash=hash_token(token),
            invited_by_user_id=actor.user_id,
            created_at=now,
            expires_at=now + LIFETIME,
        )
        session.add(invitation)
        session.flush()
        inviter = session.get(User, actor.user_id) if actor.user_id else None
        payload = {
            "to_email": email,
            "link_token": token,
            "role": wanted.value,
            "inviter_name": inviter.name if inviter else "",
        }
        session.add(EmailOutbox(org_id=org_id, kind=EmailKind.INVITATION, payload=json.dumps(payload)))
        audit.record(
            session,
            org_id=org_id,
            action="member.invited",
            subject=f"invitation:{invitation.id}",
            after={"email": email, "role": wanted.value},
        )
    return PendingInvitation(
        id=invitation.id or 0,
        email=email,
        role=wanted.value,
        invited_by=inviter.name if inviter else None,
        created_at=now,
        expires_at=invitation.expires_at,
    )


def revoke_invitation(*, org_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation: its link stops working. NotFound when there is no
    pending invitation of that id in the org (accepted, revoked, another org's)."""
    roles.check(org_id, Permission.MANAGE_MEMBERS)
    with write_session() as session:
        row = session.execute(
            sa.update(Invitation)
            .where(col(Invitation.id) == invitation_id, col(Invitation.org_id) == org_id, *_pending(None))
            .values(revoked_at=utcnow())
            .returning(col(Invitation.email), col(Invitation.role))
        ).first()
        if row is None:
            raise NotFound("No such invitation.")
        audit.record(
            session,
            org_id=org_id,
            action="member.invitation_revoked",
            subject=f"invitation:{invitation_id}",
            before={"email": row.email, "role": row.role},
        )


@dataclass(frozen=True)
class Accepted:
    org_id: int
    org_name: str
    currency: str
    role: str
    joined: bool  # False: the person was a member already (nothing changed)


def accept(*, token: str, user_id: int) -> Accepted:
    """The signed-in person `user_id` accepts the invitation: they become a member with its
    role, and their address counts as verified. TokenInvalid for an unknown, expired, used or
    revoked link; EmailUnverified (403 email_unverified, nothing consumed) when it was sent to
    another address: accepting needs the invited address, verified by the link. A member
    already, or the same person opening the link again, is told they joined (no second
    membership). Returns the org, so the caller can switch the session to it."""
    actor = current_actor()
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise Unauthenticated()
        invitation = _consume(session, token=token, user_id=user_id)
        if invitation is None:
            return _accepted_before(session, token=token, user_id=user_id)
        return _join(session, invitation, user, Actor(user_id=user_id, ip=actor.ip, user_agent=actor.user_agent))


def join_at_signup(session: Session, *, token: str, user: User, actor: Actor) -> Accepted:
    """Inside accounts.signup's transaction: the new person `user` (flushed, so with an id)
    joins the inviting org instead of creating one. TokenInvalid or EmailUnverified as for accept;
    the caller's transaction then rolls back, person and all."""
    assert user.id is not None
    invitation = _consume(session, token=token, user_id=user.id)
    if invitation is None:
        raise TokenInvalid()
    return _join(session, invitation, user, actor)


@dataclass(frozen=True)
class Described:
    org_name: str
    email: str
    role: str
    valid: bool  # False: expired, used or withdrawn (the link would be refused)


def describe(*, token: str) -> Described | None:
    """What an invitation link is for, without consuming it: the page the link opens shows it
    to someone not signed in (which org, which address, which role) before they sign up or
    sign in. None for an unknown link. No role check: holding the link is the right to read
    it, as for the other emailed links, and it tells nothing the email did not."""
    with read_session() as session:
        found = session.execute(
            select(Invitation, col(Org.name))
            .join(Org, col(Org.id) == Invitation.org_id)
            .where(col(Invitation.token_hash) == hash_token(token or ""))
        ).first()
    if found is None:
        return None
    invitation, org_name = found
    valid = invitation.accepted_at is None and invitation.revoked_at is None and invitation.expires_at > utcnow()
    return Described(org_name=org_name, email=invitation.email, role=invitation.role, valid=valid)


def _pending(now: object) -> tuple[sa.ColumnElement[bool], ...]:
    conditions = (col(Invitation.accepted_at).is_(None), col(Invitation.revoked_at).is_(None))
    return (*conditions, col(Invitation.expires_at) > now) if now is not None else conditions


@dataclass(frozen=True)
class _Consumed:
    id: int
    org_id: int
    email: str
    role: str


def _consume(session: Session, *, token: str, user_id: int) -> _Consumed | None:
    """Mark the pending invitation accepted by `user_id` with one conditional UPDATE (exactly
    one of any number of concurrent calls gets it); None when the link is not pending."""
    now = utcnow()
    row = session.execute(
        sa.update(Invitation)
        .where(col(Invitation.token_hash) == hash_token(token or ""), *_pending(now))
        .values(accepted_at=now, accepted_by_user_id=user_id)
        .returning(col(Invitation.id), col(Invitation.org_id), col(Invitation.email), col(Invitation.role))
    ).first()
    return None if row is None else _Consumed(row.id, row.org_id, row.email, row.role)


def _join(session: Session, invitation: _Consumed, user: User, actor: Actor) -> Accepted:
    if invitation.email != user.email:
        raise EmailUnverified(f"This invitation is for {invitation.email}. Sign in with that address to accept it.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached this mailbox
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    membership_id = session.execute(
        insert(Membership)
        .values(user_id=user.id, org_id=invitation.org_id, role=invitation.role, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "org_id"])
        .returning(col(Membership.id))
    ).scalar_one_or_none()
    if membership_id is None:  # a member already: keep the role they have
        return _accepted(session, org_id=invitation.org_id, user_id=user.id or 0, joined=False)
    audit.record(
        session,
        org_id=invitation.org_id,
        actor=actor,
        action="member.joined",
        subject=f"membership:{membership_id}",
        after={"email": user.email, "role": invitation.role, "invitation_id": invitation.id},
    )
    return _accepted(session, org_id=invitation.org_id, user_id=user.id or 0, joined=True)


def _accepted_before(session: Session, *, token: str, user_id: int) -> Accepted:
    """The link was accepted already: by this person, who is still a member, it is the same
    answer again; otherwise TokenInvalid."""
    org_id = session.execute(
        select(col(Invitation.org_id)).where(
            col(Invitation.token_hash) == hash_token(token or ""), col(Invitation.accepted_by_user_id) == user_id
        )
    ).scalar_one_or_none()
    if org_id is None or _member_id(session, org_id=org_id, user_id=user_id) is None:
        raise TokenInvalid()
    return _accepted(session, org_id=org_id, user_id=user_id, joined=False)


def _accepted(session: Session, *, org_id: int, user_id: int, joined: bool) -> Accepted:
    org, role = session.execute(
        select(Org, col(Membership.role))
        .join(Membership, col(Membership.org_id) == Org.id)
        .where(col(Org.id) == org_id, col(Membership.user_id) == user_id)
    ).one()
    return Accepted(org_id=org_id, org_name=org.name, currency=org.currency, role=role, joined=joined)


def _member_id(session: Session, *, org_id: int, email: str | None = None, user_id: int | None = None) -> int | None:
    query = select(col(Membership.id)).where(col(Membership.org_id) == org_id)
    if email is not None:
        query = query.join(User, col(User.id) == Membership.user_id).where(col(User.email) == email)
    if user_id is not None:
        query = query.where(col(Membership.user_id) == user_id)
    return session.execute(query).scalar_one_or_none()
