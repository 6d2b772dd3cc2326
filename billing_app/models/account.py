"""Organisations, people, their memberships and sign-in sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class Org(SQLModel, table=True):
    """An organisation: it owns the credit balance, which changes only beside a ledger
    entry or usage row explaining it (same transaction)."""

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    name: str = Field(max_length=120)
    currency: str = Field(max_length=3, default="INR")
    balance_micros: int = Field(default=0, sa_type=BigInteger)
    low_balance_threshold_micros: int | None = Field(default=None, sa_type=BigInteger)
    last_low_balance_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # staff run the service (the console under /console, the API under /admin): granted and
    # revoked only from the CLI (`cli staff grant EMAIL`)
    is_staff: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=False, index=True))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    role: str = Field(default="owner", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A sign-in. Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=False))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)


class EmailToken(SQLModel, table=True):
    """A single-use link sent by email (verify the address, reset the password). Only the
    SHA-256 of the token is stored; `used_at` is set by the one UPDATE that consumes it."""

    __tablename__ = "email_token"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    purpose: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=False, index=True))
    email: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignupCreditClaim(SQLModel, table=True):
    """One row per normalised email address that has received the signup credit: the
    primary key is what makes the credit once per address, however often or concurrently
    a verification link is opened."""

    __tablename__ = "signup_credit_claim"

    address_key: str = Field(max_length=64, primary_key=True)  # SHA-256 of the normalised address
    user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=False))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """An invitation to join an org with a role, sent by email. Only the SHA-256 of the
    link's token is stored; `accepted_at` is set by the one UPDATE that consumes it, and a
    newer invitation to the same address revokes a pending one (`revoked_at`)."""

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    email: str = Field(max_length=254)  # stored lower-cased
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    # None when the system invited (the CLI): nobody to name
    invited_by_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, ForeignKey("user.id")))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, ForeignKey("user.id")))
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
