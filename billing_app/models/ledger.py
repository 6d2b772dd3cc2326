"""The money ledger: append-only events that explain every change of an org's balance
other than per-request usage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class EntryKind(StrEnum):
    SIGNUP_CREDIT = "signup_credit"
    CHECKOUT = "checkout"  # a top-up paid through Razorpay
    PROMO = "promo"
    MANUAL = "manual"
    REFUND = "refund"


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        # One entry per external fact: a payment is credited once, a refund debited once.
        UniqueConstraint("kind", "external_ref", name="uq_ledger_entry_kind_external_ref"),
        Index("ix_ledger_entry_org_id_id", "org_id", "id"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    kind: str = Field(max_length=20)
    amount_micros: int = Field(sa_type=BigInteger)
    balance_after_micros: int = Field(sa_type=BigInteger)
    description: str = Field(max_length=300)
    external_ref: str | None = Field(default=None, max_length=100)
    # The Razorpay payment id on checkout, promo and refund entries.
    payment_id: str | None = Field(default=None, max_length=40, index=True)
    created_by_user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
