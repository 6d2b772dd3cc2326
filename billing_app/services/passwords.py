"""Forgotten and changed passwords.

"Forgot password?" answers the same whether or not the address has an account; the email
holds a single-use link valid for 30 minutes (email_tokens.LIFETIMES). A reset ends every
session of the person; a change (which needs the current password) ends every other one."""

from __future__ import annotations

import json

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, TokenInvalid
from billing_app.models import AuthSession, EmailKind, EmailOutbox, Membership, User
from billing_app.services import actors, audit, email_tokens, sessions
from billing_app.services.accounts import check_password, password_hasher
from billing_app.services.actors import Actor
from billing_app.services.email_addresses import normalise
from billing_app.services.rate_limit import check_rate


def forgot(*, email: str, client_ip: str = "") -> None:
    """Email a reset link when the address has an account; nothing otherwise. The caller
    answers the same either way. Rate-limited per IP and per address."""
    settings = get_settings()
    email = normalise(email)
    check_rate(action="forgot-ip", key=client_ip, per_minute=settings.login_rate_per_minute)
    check_rate(action="forgot-email", key=email, per_minute=settings.login_rate_per_minute)
    with read_session() as session:
        found = session.execute(
            select(col(User.id), col(User.name), col(Membership.org_id))
            .join(Membership, col(Membership.user_id) == User.id)
            .where(col(User.email) == email)
            .order_by(col(Membership.id))
            .limit(1)
        ).first()
    if found is None:
        return
    user_id, name, org_id = found
    with write_session() as session:
        token = email_tokens.issue(session, purpose=email_tokens.RESET, user_id=user_id, email=email)
        payload = {"to_email": email, "to_name": name, "link_token": token}
        session.add(EmailOutbox(org_id=org_id, kind=EmailKind.PASSWORD_RESET, payload=json.dumps(payload)))


def reset(*, token: str, password: str, actor: Actor = actors.SYSTEM) -> None:
    """Set a new password from an emailed link and end every session of the person.
    Raises TokenInvalid (unknown, expired or used link) or InvalidRequest (short password:
    the link stays usable, since nothing was written)."""
    check_password(password)
    new_hash = password_hasher().hash(password)
    with write_session() as session:
        used = email_tokens.consume(session, purpose=email_tokens.RESET, token=token)
        user = session.get(User, used.user_id)
        if user is None or user.email != used.email:
            raise TokenInvalid()
        user.password_hash = new_hash
        ended = sessions.revoke_where(session, col(AuthSession.user_id) == used.user_id)
        _record(session, user_id=used.user_id, actor=actor, action="password.reset", ended=ended)


def change(*, user_id: int, session_id: int, current_password: str, new_password: str, actor: Actor) -> int:
    """Change the password (the current one is required) and end every other session of
    the person; how many ended. A wrong current password is InvalidRequest on
    `current_password` (not a 401: the caller is signed in)."""
    check_password(new_password)
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise InvalidRequest("No such user.")
        try:
            password_hasher().verify(user.password_hash, current_password or "")
        except (VerificationError, InvalidHashError) as exc:
            raise InvalidRequest("Your current password is not right.", field="current_password") from exc
        user.password_hash = password_hasher().hash(new_password)
        ended = sessions.revoke_where(session, col(AuthSession.user_id) == user_id, col(AuthSession.id) != session_id)
        _record(session, user_id=user_id, actor=actor, action="password.changed", ended=ended)
    return ended


def _record(session: Session, *, user_id: int, actor: Actor, action: str, ended: int) -> None:
    """One row in each org of the person: each org's owners see it in their log."""
    org_ids = session.execute(select(col(Membership.org_id)).where(col(Membership.user_id) == user_id)).scalars()
    who = Actor(user_id=user_id, ip=actor.ip, user_agent=actor.user_agent)
    for org_id in org_ids:
        audit.record(
            session, org_id=org_id, actor=who, action=action, subject=f"user:{user_id}", after={"sessions_ended": ended}
        )
