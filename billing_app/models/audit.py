"""The audit log: one row per sensitive action, written in the transaction that made the
change, so a row exists exactly when the change committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_org_id_id", "org_id", "id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    # None for an action on a person rather than an org (a password reset before sign-in)
    org_id: int | None = Field(default=None, sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=True))
    actor_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=True, index=True)
    )
    actor_kind: str = Field(max_length=10)  # user | system | staff
    action: str = Field(max_length=60)  # e.g. "key.created", "password.reset"
    subject: str = Field(default="", max_length=200)  # what it acted on, e.g. "key:12"
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
