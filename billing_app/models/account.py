"""Organisations, people, their memberships and sign-in sessions."""

from __future__ import annotations

from datetime import datetime

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
