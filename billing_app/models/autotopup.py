"""Auto top-up's records: the org's Razorpay mandate, the rule the org set, and the debits the
job notifies and charges (services/autotopup/, docs/autotopup.md).

At most one mandate per org is live (pending, confirmed or paused) and at most one debit per
org is pending (notified or charging): both are partial unique indexes, so the database
refuses a second one however many processes race to write it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, ForeignKey, Index
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class MandateStatus(StrEnum):
    PENDING = "pending"  # the authorisation order exists; waiting for token.confirmed
    CONFIRMED = "confirmed"  # the token may be charged
    REJECTED = "rejected"  # the bank or the customer refused it; final
    CANCELLED = "cancelled"  # cancelled by the person, the bank, or replaced before use; final
    PAUSED = "paused"  # the customer paused it (UPI); may be confirmed again


LIVE_MANDATE_STATUSES = (MandateStatus.PENDING, MandateStatus.CONFIRMED, MandateStatus.PAUSED)


def _live(statuses: tuple[str, ...]) -> sa.TextClause:
    listed = ", ".join(f"'{status}'" for status in statuses)
    return sa.text(f"status IN ({listed})")


class AutoTopupMandate(SQLModel, table=True):
    """A Razorpay Recurring Payments token authorised for the org: the customer it belongs to,
    the authorisation order that created it, and what it allows."""

    __tablename__ = "autotopup_mandate"
    __table_args__ = (
        Index(
            "uq_autotopup_mandate_live_org",
            "org_id",
            unique=True,
            sqlite_where=_live(LIVE_MANDATE_STATUSES),
            postgresql_where=_live(LIVE_MANDATE_STATUSES),
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    razorpay_customer_id: str = Field(max_length=40, index=True)
    authorisation_order_id: str | None = Field(default=None, max_length=40, unique=True)
    token_id: str | None = Field(default=None, max_length=40, unique=True)
    method: str = Field(max_length=10)  # upi | card
    # What the page shows: "Visa •••• 1111" or the UPI id; empty until confirmed.
    instrument: str = Field(default="", max_length=120)
    max_amount_paise: int = Field(sa_type=BigInteger)
    expire_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=MandateStatus.PENDING, max_length=10)
    failure_reason: str | None = Field(default=None, max_length=200)
    created_by_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AutoTopupRule(SQLModel, table=True):
    """The rule an org set (one per org). `enabled` is switched on only by a person, each time;
    the system only ever switches it off, with `disabled_reason`."""

    __tablename__ = "autotopup_rule"

    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), primary_key=True))
    amount_units: int = Field(sa_type=BigInteger)  # whole units of the credit currency
    floor_micros: int = Field(sa_type=BigInteger)
    monthly_cap_units: int = Field(sa_type=BigInteger)
    method: str = Field(max_length=10)  # upi | card: picks the notice lead time
    cooldown_seconds: int = Field(default=3600)
    enabled: bool = False
    enabled_by_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, ForeignKey("user.id"), nullable=True)
    )
    enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=300)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DebitStatus(StrEnum):
    NOTIFIED = "notified"  # decided; the notice is out and the debit order exists
    CHARGING = "charging"  # createRecurring was sent; waiting for its outcome
    CAPTURED = "captured"  # credited through the settle path; final
    FAILED = "failed"  # gave up after the retries; final
    SKIPPED = "skipped"  # the person skipped it before the charge; final
    REVERSED = "reversed"  # captured, then the bank took it back (a refund Razorpay made); final


PENDING_DEBIT_STATUSES = (DebitStatus.NOTIFIED, DebitStatus.CHARGING)


class AutoTopupDebit(SQLModel, table=True):
    """One automatic top-up, from its notice to its outcome. Written by the debit job
    (services/autotopup/debits.py); the partial unique index is what makes "at most one pending per org" hold."""

    __tablename__ = "autotopup_debit"
    __table_args__ = (
        Index(
            "uq_autotopup_debit_pending_org",
            "org_id",
            unique=True,
            sqlite_where=_live(PENDING_DEBIT_STATUSES),
            postgresql_where=_live(PENDING_DEBIT_STATUSES),
        ),
        Index("ix_autotopup_debit_status_charge_after", "status", "charge_after"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    mandate_id: int = Field(sa_column=Column(BigInteger, ForeignKey("autotopup_mandate.id"), nullable=False))
    amount_units: int = Field(sa_type=BigInteger)
    amount_paise: int = Field(sa_type=BigInteger)
    credits_micros: int = Field(sa_type=BigInteger)
    status: str = Field(default=DebitStatus.NOTIFIED, max_length=10)
    razorpay_order_id: str | None = Field(default=None, max_length=40, unique=True)
    razorpay_payment_id: str | None = Field(default=None, max_length=40, unique=True)
    notified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    charge_after: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
