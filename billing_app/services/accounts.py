"""Sign-up, login, logout and resolving a session token to the signed-in principal."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, InvalidCredentials, InvalidRequest, Unauthenticated
from billing_app.models import AuthSession, EntryKind, Membership, Org, RoutingProfile, User
from billing_app.models.types import utcnow
from billing_app.money import format_units
from billing_app.services.ledger import post_entry
from billing_app.services.rate_limit import check_rate

_hasher = PasswordHasher()
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_EMAIL = re.compile(EMAIL_PATTERN)
MIN_PASSWORD_LENGTH = 8
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists. Sign in instead."


@dataclass(frozen=True)
class Principal:
    """Who is signed in, and the org they act for."""

    user_id: int
    org_id: int
    email: str
    name: str
    org_name: str
    currency: str


@dataclass(frozen=True)
class SignedIn:
    token: str
    principal: Principal


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean(value: str, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest(f"{field} is required.", field=field)
    if len(value) > max_length:
        raise InvalidRequest(f"{field} is longer than {max_length} characters.", field=field)
    return value


def _new_session(session, *, user_id: int, org_id: int) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user_id,
            org_id=org_id,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    return token


def signup(*, email: str, password: str, name: str, org_name: str, client_ip: str = "") -> SignedIn:
    """Create the user, their org (owner membership) and the signup credit, and sign in.

    Raises RateLimited, InvalidRequest (bad email, short password, missing fields),
    EmailTaken (409). All or nothing: one transaction.
    """
    settings = get_settings()
    check_rate(action="signup", key=client_ip, per_minute=settings.signup_rate_per_minute)
    email = _clean(email, "email", 254).lower()
    if not _EMAIL.match(email):
        raise InvalidRequest("Enter a valid email address.", field="email")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    name = _clean(name, "name", 120)
    org_name = _clean(org_name, "org_name", 120)
    password_hash = _hasher.hash(password)
    try:
        with write_session() as session:
            org = Org(name=org_name, currency=settings.billing_currency)
            user = User(email=email, name=name, password_hash=password_hash)
            session.add(org)
            session.add(user)
            session.flush()
            assert org.id is not None and user.id is not None
            session.add(Membership(user_id=user.id, org_id=org.id, role="owner"))
            session.add(RoutingProfile(org_id=org.id))  # every org has exactly one
            if settings.signup_credit_micros:
                post_entry(
                    session,
                    org_id=org.id,
                    kind=EntryKind.SIGNUP_CREDIT,
                    amount_micros=settings.signup_credit_micros,
                    description=f"Signup credit ({format_units(settings.signup_credit_micros, org.currency)})",
                    external_ref=f"org:{org.id}",
                )
            token = _new_session(session, user_id=user.id, org_id=org.id)
            principal = Principal(user.id, org.id, email, name, org_name, org.currency)
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return SignedIn(token=token, principal=principal)


def login(*, email: str, password: str, client_ip: str = "") -> SignedIn:
    """A new session for the right email and password. Raises RateLimited (per IP and per
    email) or InvalidCredentials, which does not say which of the two was wrong."""
    settings = get_settings()
    email = (email or "").strip().lower()
    check_rate(action="login-ip", key=client_ip, per_minute=settings.login_rate_per_minute)
    check_rate(action="login-email", key=email, per_minute=settings.login_rate_per_minute)
    with read_session() as session:
        row = session.execute(
            select(User, col(Membership.org_id), col(Org.name), col(Org.currency))
            .join(Membership, col(Membership.user_id) == User.id)
            .join(Org, col(Org.id) == Membership.org_id)
            .where(col(User.email) == email)
            .order_by(col(Membership.id))
            .limit(1)
        ).first()
    try:
        _hasher.verify(row[0].password_hash if row else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if row is None:
        raise InvalidCredentials()
    user, org_id, org_name, currency = row
    with write_session() as session:
        token = _new_session(session, user_id=user.id, org_id=org_id)
    return SignedIn(token=token, principal=Principal(user.id, org_id, user.email, user.name, org_name, currency))


def logout(*, token: str) -> None:
    """Revoke the session. Idempotent: an unknown or revoked token is not an error."""
    with write_session() as session:
        session.execute(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == hash_token(token), col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


def authenticate(*, token: str | None) -> Principal:
    """The principal behind a live session token, or Unauthenticated."""
    if not token:
        raise Unauthenticated()
    with read_session() as session:
        row = session.execute(
            sa.select(
                col(AuthSession.user_id),
                col(AuthSession.org_id),
                col(AuthSession.expires_at),
                col(User.email),
                col(User.name),
                col(Org.name),
                col(Org.currency),
            )
            .join(User, col(User.id) == AuthSession.user_id)
            .join(Org, col(Org.id) == AuthSession.org_id)
            .where(col(AuthSession.token_hash) == hash_token(token), col(AuthSession.revoked_at).is_(None))
        ).first()
    if row is None or row.expires_at <= utcnow():
        raise Unauthenticated("Your session has ended. Sign in again.")
    user_id, org_id, _, email, name, org_name, currency = row
    return Principal(user_id, org_id, email, name, org_name, currency)
