"""The email outbox: an email decided inside a money transaction, delivered later by a job.

A row is written in the same transaction as the balance change that made it due, so it
exists exactly when that change committed. The sender (jobs/outbox.py) claims a row with
a conditional UPDATE (pending → sending, with a lease) before sending, and marks it sent
after; a lease left by a crashed sender becomes reclaimable once it is stale.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a sender at claimed_at (a lease)
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent SMTP refusal or too many attempts
    CANCELLED = "cancelled"  # no longer wanted (the alert was turned off before it went out)


class EmailKind(StrEnum):
    LOW_BALANCE = "low_balance"
    VERIFY_EMAIL = "verify_email"  # to the address in the payload, with a link token
    PASSWORD_RESET = "password_reset"  # the same
    INVITATION = "invitation"  # the same, to the invited address
    REFUND_STARTED = "refund_started"  # to the org's owner: staff started a refund of their payment
    AUTOTOPUP_OFF = "autotopup_off"  # to the org's owner: the mandate stopped, so auto top-up is off
    AUTOTOPUP_NOTICE = "autotopup_notice"  # to an owner or billing member: the pre-debit notice


class EmailOutbox(SQLModel, table=True):
    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    kind: str = Field(max_length=30)
    # The facts the email is rendered from (JSON), as they were when it became due.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=500)
    # Recorded when sent: who it went to and what it said on the envelope.
    to_email: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
