"""Money out: the model catalog, routing profiles, API keys, holds, usage events and the
per-IST-day usage rollup.

The metering hot path (services/metering.py) writes these tables with statements built
once; the dashboard reads them through the ORM and never scans usage_event.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class RoutingMode(StrEnum):
    AUTO = "auto"  # the router picks the model: +MARKUP_AUTO_PERCENT
    TIER = "tier"  # the caller picks a tier: +MARKUP_TIER_PERCENT


class PriceSource(StrEnum):
    CATALOG = "catalog"  # from billing_app/data/models.json; refreshed at startup
    ADMIN = "admin"  # set with `cli prices set`; the catalog file never overwrites it


class ModelPrice(SQLModel, table=True):
    """Provider rates per million tokens, in micro-units of the credit currency."""

    __tablename__ = "model_price"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    model: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=120)
    provider: str = Field(max_length=60)
    input_micros_per_million: int = Field(sa_type=BigInteger)
    output_micros_per_million: int = Field(sa_type=BigInteger)
    context_window: int = 0
    active: bool = True
    source: str = Field(default=PriceSource.CATALOG, max_length=10)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoutingProfile(SQLModel, table=True):
    """The org's default routing mode (which markup applies). Exactly one per org."""

    __tablename__ = "routing_profile"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, unique=True))
    mode: str = Field(default=RoutingMode.AUTO, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """An API key. Only the SHA-256 of the secret is stored; `prefix` is what people see.

    The spend of the current IST month lives on the row (`spend_month` is YYYYMM), so
    the budget check on the hot path is one row read.
    """

    __tablename__ = "api_key"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=20)
    key_hash: str = Field(max_length=64, unique=True)
    # None: no budget; 0: nothing may be spent.
    monthly_budget_micros: int | None = Field(default=None, sa_type=BigInteger)
    spend_month: int = 0
    month_spend_micros: int = Field(default=0, sa_type=BigInteger)
    created_by_user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Hold(SQLModel, table=True):
    """A durable reservation for an in-flight request: open until its usage arrives
    (then deleted) or until it expires (then swept by jobs/holds.py)."""

    __table_args__ = (
        UniqueConstraint("api_key_id", "request_id", name="uq_hold_key_request"),
        Index("ix_hold_org_id_expires_at", "org_id", "expires_at"),
        Index("ix_hold_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    api_key_id: int = Field(sa_column=Column(BigInteger, ForeignKey("api_key.id"), nullable=False))
    request_id: str = Field(max_length=100)
    model: str = Field(max_length=100)
    amount_micros: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class HoldTotal(SQLModel, table=True):
    """Σ amount of the org's holds, changed in the same transaction as every hold insert or
    delete. Authorize reads this one row instead of summing the holds (an org with many
    requests in flight, or a caller that never reports usage, would make that sum grow),
    and its row lock is what serialises the hold changes of one org on PostgreSQL."""

    __tablename__ = "hold_total"

    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), primary_key=True))
    held_micros: int = Field(default=0, sa_type=BigInteger)


class UsageEvent(SQLModel, table=True):
    """One metered request, debited once: (api_key_id, request_id) is unique. The rates
    and markup used are kept so every cost can be explained later."""

    __tablename__ = "usage_event"
    __table_args__ = (UniqueConstraint("api_key_id", "request_id", name="uq_usage_event_key_request"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    api_key_id: int = Field(sa_column=Column(BigInteger, ForeignKey("api_key.id"), nullable=False))
    request_id: str = Field(max_length=100)
    model: str = Field(max_length=100)
    routing_mode: str = Field(max_length=10)
    prompt_tokens: int = Field(sa_type=BigInteger)
    completion_tokens: int = Field(sa_type=BigInteger)
    input_micros_per_million: int = Field(sa_type=BigInteger)
    output_micros_per_million: int = Field(sa_type=BigInteger)
    markup_percent: int
    cost_micros: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UsageDaily(SQLModel, table=True):
    """The rollup the dashboard reads: one row per (org, IST day, key, model), updated in
    the same transaction as the usage event it counts."""

    __tablename__ = "usage_daily"

    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))  # the IST calendar day
    api_key_id: int = Field(sa_column=Column(BigInteger, ForeignKey("api_key.id"), primary_key=True))
    model: str = Field(max_length=100, primary_key=True)
    requests: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_micros: int = Field(default=0, sa_type=BigInteger)
