"""Money moved from the operator console: manual entries waiting for a second staff member's
approval, and the refunds staff started (services/console/manual.py, refunds.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class ManualStatus(StrEnum):
    PENDING = "pending"  # over the limit: waits for another staff member
    POSTED = "posted"  # the ledger entry exists (entry_id); final
    REJECTED = "rejected"  # never posts; final


class ManualEntryRequest(SQLModel, table=True):
    """A staff member's manual credit (positive) or debit (negative). Under the approval limit
    it is posted at once; over it, it waits here until another staff member approves it. The
    move out of `pending` is one conditional UPDATE, so it posts once however often approved."""

    __tablename__ = "manual_entry_request"
    __table_args__ = (Index("ix_manual_entry_request_status_id", "status", "id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    amount_micros: int = Field(sa_type=BigInteger)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    # The requester accepted that a debit may take the balance below zero.
    confirm_negative: bool = False
    status: str = Field(default=ManualStatus.PENDING, max_length=10)
    requested_by_user_id: int = Field(sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=False))
    decided_by_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=True)
    )
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    entry_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("ledger_entry.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefundStatus(StrEnum):
    STARTED = "started"  # our row exists; Razorpay has not (yet) answered
    SENT = "sent"  # Razorpay accepted it (razorpay_refund_id); credits come off at refund.processed
    FAILED = "failed"  # Razorpay refused it (error); nothing was refunded


class RefundRequest(SQLModel, table=True):
    """A refund a staff member started. Its idempotency key is derived from the row, so however
    often it is sent (a retry, a double click answered with the same row) Razorpay makes one refund."""

    __tablename__ = "refund_request"
    __table_args__ = (Index("ix_refund_request_payment_id_created_at", "payment_id", "created_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    payment_id: int = Field(sa_column=Column(BigInteger, ForeignKey("payment.id"), nullable=False))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    amount_paise: int = Field(sa_type=BigInteger)
    full_refund: bool = False  # asked for "all that remains" (no amount given)
    credits_micros: int = Field(sa_type=BigInteger)  # what refund.processed will debit
    reason: str = Field(sa_column=Column(Text, nullable=False))
    idempotency_key: str = Field(max_length=64, unique=True)
    razorpay_refund_id: str | None = Field(default=None, max_length=40, unique=True)
    status: str = Field(default=RefundStatus.STARTED, max_length=10)
    error: str | None = Field(default=None, max_length=500)
    requested_by_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
