"""Promo codes and their redemptions (one per org per code, enforced by the database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class PromoCode(SQLModel, table=True):
    __tablename__ = "promo_code"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    code: str = Field(max_length=40, unique=True)  # stored upper-case, trimmed
    # Either a flat bonus, or a percentage of the top-up capped at cap_micros.
    flat_bonus_micros: int | None = Field(default=None, sa_type=BigInteger)
    percent: int | None = None
    cap_micros: int | None = Field(default=None, sa_type=BigInteger)
    min_topup_units: int = Field(default=0, sa_type=BigInteger)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_redemptions: int | None = None
    redeemed_count: int = 0
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PromoRedemption(SQLModel, table=True):
    __tablename__ = "promo_redemption"
    __table_args__ = (UniqueConstraint("promo_code_id", "org_id", name="uq_promo_redemption_code_org"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    promo_code_id: int = Field(sa_column=Column(BigInteger, ForeignKey("promo_code.id"), nullable=False))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    payment_order_id: int = Field(sa_column=Column(BigInteger, ForeignKey("payment_order.id"), nullable=False))
    bonus_micros: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
