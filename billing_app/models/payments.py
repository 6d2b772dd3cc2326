"""Money in: billing addresses, Razorpay orders and payments, webhook deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class BillingAddress(SQLModel, table=True):
    __tablename__ = "billing_address"

    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), primary_key=True))
    name: str = Field(max_length=120)
    line1: str = Field(max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(max_length=100)
    state_code: str = Field(max_length=2)
    pin: str = Field(max_length=6)
    gstin: str | None = Field(default=None, max_length=15)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderStatus(StrEnum):
    CREATED = "created"  # our row exists; the Razorpay order may not yet
    PENDING = "pending"  # the Razorpay order exists; waiting for a payment
    PAID = "paid"  # credited; never goes back


class PaymentOrder(SQLModel, table=True):
    __tablename__ = "payment_order"
    __table_args__ = (Index("ix_payment_order_status_created_at", "status", "created_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    receipt: str = Field(max_length=40, unique=True)
    razorpay_order_id: str | None = Field(default=None, max_length=40, unique=True)
    amount_units: int = Field(sa_type=BigInteger)  # whole units of the credit currency
    amount_paise: int = Field(sa_type=BigInteger)
    currency: str = Field(default="INR", max_length=3)  # what Razorpay charges in
    credits_micros: int = Field(sa_type=BigInteger)
    # GST charged on top (docs/gst.md), fixed when the order is priced; all None for an order
    # priced without GST (no SELLER_GSTIN then): it gets a receipt, never a tax invoice.
    gst_taxable_paise: int | None = Field(default=None, sa_type=BigInteger)
    gst_tax_paise: int | None = Field(default=None, sa_type=BigInteger)
    gst_rate_percent: int | None = None
    gst_place_of_supply: str | None = Field(default=None, max_length=2)
    promo_code_id: int | None = Field(default=None, sa_type=BigInteger)
    promo_code: str | None = Field(default=None, max_length=40)
    status: str = Field(default=OrderStatus.CREATED, max_length=20)
    created_by_user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Payment(SQLModel, table=True):
    """A captured Razorpay payment that we credited (one row per payment id)."""

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    razorpay_payment_id: str = Field(max_length=40, unique=True)
    order_id: int = Field(sa_column=Column(BigInteger, ForeignKey("payment_order.id"), nullable=False, index=True))
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False, index=True))
    amount_paise: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    method: str = Field(default="", max_length=20)
    method_detail: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=254)
    contact: str = Field(default="", max_length=30)
    refunded_paise: int = Field(default=0, sa_type=BigInteger)
    receipt_number: str = Field(max_length=16, unique=True)
    captured_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookEvent(SQLModel, table=True):
    """A Razorpay webhook delivery, stored raw before anything else is done with it: `raw_body`
    is the exact bytes received and `signature` the header, so it can be checked again from the row."""

    __tablename__ = "webhook_event"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(default="", max_length=64)
    raw_body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The X-Razorpay-Signature header as received (a longer, forged one is cut: it fails anyway).
    signature: str | None = Field(default=None, max_length=128)
    signature_ok: bool = False
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_column=Column(Text))
