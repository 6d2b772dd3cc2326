"""Sign-up, login, logout and resolving a session token to the signed-in principal.

Sign-up creates the person, their org and a session at once; the signup credit waits for
the email address to be verified (services/verification.py). Signing up with an invitation
joins the inviting org instead (services/invitations.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, Forbidden, InvalidCredentials, InvalidRequest, Unauthenticated
from billing_app.models import AuthSession, Membership, Org, RoutingProfile, User
from billing_app.models.types import utcnow
from billing_app.services import audit, invitations, sessions, verification
from billing_app.services.actors import Actor
from billing_app.services.email_addresses import EMAIL_PATTERN, is_valid, normalise
from billing_app.services.rate_limit import check_rate
from billing_app.services.tokens import hash_token

MIN_PASSWORD_LENGTH = 8
# "fast": the test suite's accounts (PASSWORD_HASH_STRENGTH, refused in prod). A stored hash
# names its own parameters, so either hasher verifies the other's.
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_STANDARD = PasswordHasher()


def password_hasher() -> PasswordHasher:
    return _FAST if get_settings().password_hash_strength == "fast" else _STANDARD


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the email is unknown, so both paths take the same time."""
    return hasher.hash("not-a-real-password")


__all__ = ["EMAIL_PATTERN", "MIN_PASSWORD_LENGTH", "Principal", "SignedIn", "hash_token"]


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists. Sign in instead."


@dataclass(frozen=True)
class Principal:
    """Who is signed in, and the org they act for (with their role in it)."""

    user_id: int
    org_id: int
    email: str
    name: str
    org_name: str
    currency: str
    email_verified: bool = False
    role: str = "owner"
    session_id: int = 0
    is_staff: bool = False  # runs the service: the console (services/staff.py)

    def acting_from(self, *, ip: str, user_agent: str) -> Actor:
        """This person as who a request acts as (services/actors.py): the audit log's "who",
        and the org and role every role check asks about."""
        return Actor(user_id=self.user_id, ip=ip, user_agent=user_agent, org_id=self.org_id, role=self.role)


@dataclass(frozen=True)
class SignedIn:
    token: str
    principal: Principal


def _clean(value: str, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest(f"{field} is required.", field=field)
    if len(value) > max_length:
        raise InvalidRequest(f"{field} is longer than {max_length} characters.", field=field)
    return value


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password")


def signup(
    *,
    email: str,
    password: str,
    name: str,
    org_name: str = "",
    invitation_token: str | None = None,
    client_ip: str = "",
    user_agent: str = "",
) -> SignedIn:
    """Create the user, their org (owner membership) and a session, and queue the email that
    verifies the address (the signup credit is granted then, not now). With an
    `invitation_token` the person joins the inviting org instead (services/invitations.py):
    no org of their own, no signup credit, and the address counts as verified (the link
    reached it); `org_name` is not needed then.

    Raises RateLimited, InvalidRequest (bad email, short password, missing fields),
    EmailTaken (409), and with an invitation TokenInvalid or Forbidden (another address's).
    All or nothing: one transaction.
    """
    settings = get_settings()
    check_rate(action="signup", key=client_ip, per_minute=settings.signup_rate_per_minute)
    email = normalise(_clean(email, "email", 254))
    if not is_valid(email):
        raise InvalidRequest("Enter a valid email address.", field="email")
    check_password(password)
    name = _clean(name, "name", 120)
    if invitation_token is None:
        org_name = _clean(org_name, "org_name", 120)
    password_hash = password_hasher().hash(password)
    try:
        with write_session() as session:
            user = User(email=email, name=name, password_hash=password_hash)
            session.add(user)
            session.flush()
            assert user.id is not None
            actor = Actor(user_id=user.id, ip=client_ip, user_agent=user_agent)
            if invitation_token is None:
                joined = _create_org(session, user=user, org_name=org_name, currency=settings.billing_currency)
            else:
                joined = invitations.join_at_signup(session, token=invitation_token, user=user, actor=actor)
            token, session_id = sessions.start(
                session, user_id=user.id, org_id=joined.org_id, ip=client_ip, user_agent=user_agent
            )
            audit.record(session, org_id=joined.org_id, actor=actor, action="user.signed_up", subject=f"user:{user.id}")
            verified = user.email_verified_at is not None
            principal = Principal(
                user.id, joined.org_id, email, name, joined.org_name, joined.currency, verified, joined.role, session_id
            )
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return SignedIn(token=token, principal=principal)


def _create_org(session: Session, *, user: User, org_name: str, currency: str) -> invitations.Accepted:
    """The new person's own org, with them as its owner, and the email that verifies their
    address (whose link grants the signup credit)."""
    assert user.id is not None
    org = Org(name=org_name, currency=currency)
    session.add(org)
    session.flush()
    assert org.id is not None
    session.add(Membership(user_id=user.id, org_id=org.id, role="owner"))
    session.add(RoutingProfile(org_id=org.id))  # every org has exactly one
    verification.queue_email(session, user_id=user.id, org_id=org.id, email=user.email, name=user.name)
    return invitations.Accepted(org_id=org.id, org_name=org.name, currency=org.currency, role="owner", joined=True)


def login(*, email: str, password: str, client_ip: str = "", user_agent: str = "") -> SignedIn:
    """A new session for the right email and password, acting for the first org they joined.
    Raises RateLimited (per IP and per email) or InvalidCredentials, which does not say which
    of the two was wrong; Forbidden for the right password of someone in no org any more."""
    settings = get_settings()
    email = normalise(email)
    check_rate(action="login-ip", key=client_ip, per_minute=settings.login_rate_per_minute)
    check_rate(action="login-email", key=email, per_minute=settings.login_rate_per_minute)
    with read_session() as session:
        row = session.execute(
            sa.select(User, col(Membership.org_id), col(Membership.role), col(Org.name), col(Org.currency))
            .join(Membership, col(Membership.user_id) == User.id, isouter=True)
            .join(Org, col(Org.id) == Membership.org_id, isouter=True)
            .where(col(User.email) == email)
            .order_by(col(Membership.id).is_(None), col(Membership.id))  # the first org joined
            .limit(1)
        ).first()
    try:
        hasher = password_hasher()
        hasher.verify(row[0].password_hash if row else _dummy_hash(hasher), password or "")
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if row is None:
        raise InvalidCredentials()
    user, org_id, role, org_name, currency = row
    if org_id is None:  # the right password, but removed from every org they were in
        raise Forbidden(
            "You are not a member of any organisation any more. Ask an owner to invite you again, "
            "or create an account with another address."
        )
    with write_session() as session:
        token, session_id = sessions.start(session, user_id=user.id, org_id=org_id, ip=client_ip, user_agent=user_agent)
        actor = Actor(user_id=user.id, ip=client_ip, user_agent=user_agent)
        audit.record(session, org_id=org_id, actor=actor, action="session.signed_in", subject=f"session:{session_id}")
    principal = Principal(
        user.id,
        org_id,
        user.email,
        user.name,
        org_name,
        currency,
        email_verified=user.email_verified_at is not None,
        role=role,
        session_id=session_id,
        is_staff=user.is_staff,
    )
    return SignedIn(token=token, principal=principal)


def logout(*, token: str) -> None:
    """Revoke the session. Idempotent: an unknown or revoked token is not an error."""
    with write_session() as session:
        sessions.revoke_where(session, col(AuthSession.token_hash) == hash_token(token))


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    last_used_at: datetime | None


def authenticate(*, token: str | None) -> Principal:
    """The principal behind a live session token, or Unauthenticated."""
    return resolve(token=token).principal


def resolve(*, token: str | None) -> Authenticated:
    """authenticate, with when the session was last marked used (sessions.is_stale).
    A session whose person is no longer a member of its org has ended too."""
    if not token:
        raise Unauthenticated()
    with read_session() as session:
        row = session.execute(
            sa.select(
                col(AuthSession.id),
                col(AuthSession.user_id),
                col(AuthSession.org_id),
                col(AuthSession.expires_at),
                col(AuthSession.last_used_at),
                col(User.email),
                col(User.name),
                col(User.email_verified_at),
                col(User.is_staff),
                col(Org.name).label("org_name"),
                col(Org.currency),
                col(Membership.role),
            )
            .join(User, col(User.id) == AuthSession.user_id)
            .join(Org, col(Org.id) == AuthSession.org_id)
            .join(
                Membership,
                sa.and_(col(Membership.user_id) == AuthSession.user_id, col(Membership.org_id) == AuthSession.org_id),
            )
            .where(col(AuthSession.token_hash) == hash_token(token), col(AuthSession.revoked_at).is_(None))
        ).first()
    if row is None or row.expires_at <= utcnow():
        raise Unauthenticated("Your session has ended. Sign in again.")
    principal = Principal(
        user_id=row.user_id,
        org_id=row.org_id,
        email=row.email,
        name=row.name,
        org_name=row.org_name,
        currency=row.currency,
        email_verified=row.email_verified_at is not None,
        role=row.role,
        session_id=row.id,
        is_staff=row.is_staff,
    )
    return Authenticated(principal, row.last_used_at)
